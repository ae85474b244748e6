import Backends
import Foundation
import ProxyTesting
import ServiceModel
import Testing

@Suite("IPVS mode's ipsets")
struct IPVSIPSetRendererTests {
    typealias F = IPVSFixtures

    static let renderer = IPVSIPSetRenderer(planner: F.planner)

    /// The port's entries as `SET entry`, sorted.
    static func entries(_ port: ServicePort, renderer: IPVSIPSetRenderer = renderer) -> [String] {
        renderer.entries(of: port).sorted().map(\.description)
    }

    // MARK: what a Service port puts into the sets

    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var port: ServicePort
        var expected: [String]
        var testDescription: String { name }
    }

    static let cases: [Case] = {
        var firewalled = F.port(
            "fw", clusterIP: "10.96.0.13", loadBalancerIPs: ["203.0.113.13"], endpoints: ["10.244.1.5:8080"])
        firewalled.loadBalancerSourceRanges = ["0.0.0.0/0", "192.0.2.7/32", "fd00::/8"]
        firewalled.loadBalancerSourceRangesIncludeNode = true
        var healthChecked = F.port(
            "hc", clusterIP: "10.96.0.16", nodePort: 30085, loadBalancerIPs: ["203.0.113.16"], externalPolicy: .local,
            local: ["10.244.0.11:8080"])
        healthChecked.healthCheckNodePort = 32085
        return [
            Case(
                name: "a ClusterIP: its address and port, every endpoint for hairpin, the bound address",
                port: F.port("web", clusterIP: "10.96.0.10", endpoints: ["10.244.1.5:8080"], local: ["10.244.0.11:8080"]),
                expected: [
                    "LOOP-BACK 10.244.0.11,tcp:8080,10.244.0.11", "LOOP-BACK 10.244.1.5,tcp:8080,10.244.1.5",
                    "CLUSTER-IP 10.96.0.10,tcp:80", "IPVS-IPS 10.96.0.10",
                ]),
            Case(
                name: "a TCP NodePort under policy Cluster: the port number",
                port: F.port("np", clusterIP: "10.96.0.11", nodePort: 30080, endpoints: ["10.244.1.5:8080"]),
                expected: [
                    "LOOP-BACK 10.244.1.5,tcp:8080,10.244.1.5", "CLUSTER-IP 10.96.0.11,tcp:80", "NODE-PORT-TCP 30080",
                    "IPVS-IPS 10.96.0.11",
                ]),
            Case(
                name: "a UDP NodePort under policy Local with a local endpoint: also in the Local set",
                port: F.port("dns", clusterIP: "10.96.0.12", port: 53, .udp, nodePort: 30053, externalPolicy: .local, local: ["10.244.0.11:53"]),
                expected: [
                    "LOOP-BACK 10.244.0.11,udp:53,10.244.0.11", "CLUSTER-IP 10.96.0.12,udp:53", "NODE-PORT-UDP 30053",
                    "NODE-PORT-LOCAL-UDP 30053", "IPVS-IPS 10.96.0.12",
                ]),
            Case(
                name: "an SCTP NodePort: one entry per NodePort address",
                port: F.port("sctp", clusterIP: "10.96.0.14", port: 9000, .sctp, nodePort: 30900, endpoints: ["10.244.1.5:9000"]),
                expected: [
                    "LOOP-BACK 10.244.1.5,sctp:9000,10.244.1.5", "CLUSTER-IP 10.96.0.14,sctp:9000",
                    "NODE-PORT-SCTP 192.168.1.10,sctp:30900", "IPVS-IPS 10.96.0.14",
                ]),
            Case(
                name: "source ranges: the firewall set, each allowed range (length 0 as two halves), the LB IP when a node IP is in a range",
                port: firewalled,
                expected: [
                    "LOOP-BACK 10.244.1.5,tcp:8080,10.244.1.5", "CLUSTER-IP 10.96.0.13,tcp:80", "LOAD-BALANCER 203.0.113.13,tcp:80",
                    "LOAD-BALANCER-FW 203.0.113.13,tcp:80", "LOAD-BALANCER-SRC-CIDR 203.0.113.13,tcp:80,0.0.0.0/1",
                    "LOAD-BALANCER-SRC-CIDR 203.0.113.13,tcp:80,128.0.0.0/1", "LOAD-BALANCER-SRC-CIDR 203.0.113.13,tcp:80,192.0.2.7",
                    "LOAD-BALANCER-SRC-IP 203.0.113.13,tcp:80,203.0.113.13", "IPVS-IPS 10.96.0.13", "IPVS-IPS 203.0.113.13",
                ]),
            Case(
                name: "externalTrafficPolicy Local without a local endpoint: its external destinations are dropped, NodePort addresses included",
                port: F.port(
                    "local", clusterIP: "10.96.0.15", nodePort: 30086, externalIPs: ["198.51.100.15", F.nodeIP], externalPolicy: .local,
                    endpoints: ["10.244.1.5:8080"]),
                expected: [
                    "LOOP-BACK 10.244.1.5,tcp:8080,10.244.1.5", "CLUSTER-IP 10.96.0.15,tcp:80",
                    "EXTERNAL-IP-LOCAL 192.168.1.10,tcp:80", "EXTERNAL-IP-LOCAL 198.51.100.15,tcp:80", "NODE-PORT-TCP 30086",
                    "NODE-PORT-LOCAL-TCP 30086", "IPVS-IPS 10.96.0.15", "IPVS-IPS 198.51.100.15",
                    "EXTERNAL-DROP 192.168.1.10,tcp:30086", "EXTERNAL-DROP 192.168.1.10,tcp:80", "EXTERNAL-DROP 198.51.100.15,tcp:80",
                ]),
            Case(
                name: "a load balancer under policy Local with a local endpoint and a health check node port",
                port: healthChecked,
                expected: [
                    "LOOP-BACK 10.244.0.11,tcp:8080,10.244.0.11", "CLUSTER-IP 10.96.0.16,tcp:80", "LOAD-BALANCER 203.0.113.16,tcp:80",
                    "LOAD-BALANCER-LOCAL 203.0.113.16,tcp:80", "NODE-PORT-TCP 30085", "NODE-PORT-LOCAL-TCP 30085",
                    "HEALTH-CHECK-NODE-PORT 32085", "IPVS-IPS 10.96.0.16", "IPVS-IPS 203.0.113.16",
                ]),
            Case(
                name: "internalTrafficPolicy Local without a local endpoint: the ClusterIP is dropped",
                port: F.port("itl", clusterIP: "10.96.0.17", internalPolicy: .local, endpoints: ["10.244.1.5:8080"]),
                expected: [
                    "LOOP-BACK 10.244.1.5,tcp:8080,10.244.1.5", "CLUSTER-IP 10.96.0.17,tcp:80", "IPVS-IPS 10.96.0.17",
                    "CLUSTER-IP-DROP 10.96.0.17,tcp:80",
                ]),
            Case(
                name: "no endpoints at all: no drop (IPVS rejects: the virtual server has no real servers)",
                port: F.port("empty", clusterIP: "10.96.0.18", nodePort: 30087, externalIPs: ["198.51.100.18"], internalPolicy: .local, externalPolicy: .local),
                expected: [
                    "CLUSTER-IP 10.96.0.18,tcp:80", "EXTERNAL-IP-LOCAL 198.51.100.18,tcp:80", "NODE-PORT-TCP 30087",
                    "NODE-PORT-LOCAL-TCP 30087", "IPVS-IPS 10.96.0.18", "IPVS-IPS 198.51.100.18",
                ]),
            Case(
                name: "a port of the other family: nothing",
                port: F.port("v6", clusterIP: "fd00::10", endpoints: ["[fd00:10:244::11]:8080"]),
                expected: []),
        ]
    }()

    @Test(arguments: cases)
    func whatAServicePortPutsIntoTheSets(_ test: Case) {
        #expect(Self.entries(test.port) == test.expected)
    }

    @Test func ipv6SetsHaveTheirOwnNamesAndIPv6Entries() {
        let planner = IPVSPlanner(family: .ipv6, settings: IPVSSettings(), nodePortAddresses: .addresses(["fd00::2"]), localAddresses: ["fd00::2"])
        let renderer = IPVSIPSetRenderer(planner: planner)
        let port = F.port("v6", clusterIP: "fd00:10:96::10", nodePort: 30080, endpoints: ["[fd00:10:244::11]:8080"])
        #expect(Self.entries(port, renderer: renderer) == [
            "LOOP-BACK fd00:10:244::11,tcp:8080,fd00:10:244::11", "CLUSTER-IP fd00:10:96::10,tcp:80", "NODE-PORT-TCP 30080",
            "IPVS-IPS fd00:10:96::10",
        ])
        let full = renderer.full(F.state([port], family: .ipv6), listing: IPSetListing())
        #expect(full.restore.text.contains("create PROXYD-6-CLUSTER-IP hash:ip,port family inet6 hashsize 1024 maxelem 65536\n"))
        #expect(full.restore.text.contains("add PROXYD-6-CLUSTER-IP fd00:10:96::10,tcp:80\n"))
        #expect(!full.restore.text.contains("create PROXYD-CLUSTER-IP"))
    }

    @Test func everyNameFitsIpsetsLimitInBothFamilies() {
        for set in IPVSIPSet.allCases {
            for family in IPFamily.allCases {
                #expect(set.name(family).utf8.count <= 31, "\(set.name(family))")
                #expect(ProxydNames.isProxydSet(set.name(family)))
            }
        }
        #expect(Set(IPVSIPSet.allCases.map { $0.name(.ipv4) }).count == IPVSIPSet.allCases.count)
    }

    // MARK: full syncs

    @Test func aFullSyncOnANodeWithoutSetsCreatesAndFillsEachSet() {
        let state = F.state([F.port("web", clusterIP: "10.96.0.10", nodePort: 30080, endpoints: ["10.244.1.5:8080"])])
        let full = Self.renderer.full(state, listing: IPSetListing())
        let lines = full.restore.text.split(separator: "\n").map(String.init)
        #expect(lines.first == "# IPv4: 1 Service ports, 4 entries, full sync of IPVS mode's 19 sets")
        #expect(lines.filter { $0.hasPrefix("create ") }.count == IPVSIPSet.allCases.count)
        #expect(lines.contains("create PROXYD-NODE-PORT-TCP bitmap:port range 0-65535"))
        #expect(lines.contains("create PROXYD-LOOP-BACK hash:ip,port,ip family inet hashsize 1024 maxelem 65536"))
        #expect(lines.filter { $0.hasPrefix("add ") } == [
            "add PROXYD-LOOP-BACK 10.244.1.5,tcp:8080,10.244.1.5", "add PROXYD-CLUSTER-IP 10.96.0.10,tcp:80",
            "add PROXYD-NODE-PORT-TCP 30080", "add PROXYD-IPVS-IPS 10.96.0.10",
        ])
        #expect(!full.restore.text.contains("swap"))
        #expect(full.staleSets.isEmpty)
        #expect(full.contents.entries(.clusterIP) == ["10.96.0.10,tcp:80"])

        var kernel = IPSetFakeKernel()
        #expect(throws: Never.self) { try kernel.restore(full.restore) }
    }

    @Test func aFullSyncReplacesExistingSetsThroughASwapAndRemovesWhatAnEarlierSyncLeft() throws {
        var kernel = IPSetFakeKernel()
        let before = F.state([F.port("old", clusterIP: "10.96.0.9", endpoints: ["10.244.1.9:8080"])])
        try kernel.restore(Self.renderer.full(before, listing: IPSetListing()).restore)
        // A restore that failed half-way left the temporary set; another version left a set IPVS mode does not use,
        // and someone made one of proxyd's sets of another type.
        try kernel.restore(IPSetRestoreInput(family: .ipv4, text: """
            create PROXYD-SWAP hash:ip family inet
            create PROXYD-OLD-SET hash:ip family inet
            create PROXYD-6-OLD-SET hash:ip family inet6
            destroy PROXYD-EXTERNAL-DROP
            create PROXYD-EXTERNAL-DROP hash:ip family inet

            """))

        let state = F.state([F.port("web", clusterIP: "10.96.0.10", endpoints: ["10.244.1.5:8080"])])
        let full = Self.renderer.full(state, listing: kernel.listing)
        let lines = full.restore.text.split(separator: "\n").map(String.init)
        #expect(lines[1] == "destroy PROXYD-SWAP")
        #expect(lines.contains("swap PROXYD-SWAP PROXYD-CLUSTER-IP"))
        #expect(lines.filter { $0.hasPrefix("swap ") }.count == IPVSIPSet.allCases.count - 1)
        #expect(full.restore.text.contains("""
            # PROXYD-EXTERNAL-DROP exists as hash:ip; replacing it (refused while a rule matches on it: run proxyd --cleanup)
            destroy PROXYD-EXTERNAL-DROP
            create PROXYD-EXTERNAL-DROP hash:ip,port family inet hashsize 1024 maxelem 65536

            """))
        // Only this family's unused sets, and only after the rules: they may still be matched on.
        #expect(full.staleSets.text == "# IPv4: proxyd's sets IPVS mode no longer uses\ndestroy PROXYD-OLD-SET\n")

        try kernel.restore(full.restore)
        try kernel.restore(full.staleSets)
        #expect(kernel.entries(prefix: "PROXYD-") == [
            "PROXYD-CLUSTER-IP 10.96.0.10,tcp:80", "PROXYD-IPVS-IPS 10.96.0.10", "PROXYD-LOOP-BACK 10.244.1.5,tcp:8080,10.244.1.5",
        ])
        #expect(kernel.sets["PROXYD-SWAP"] == nil && kernel.sets["PROXYD-OLD-SET"] == nil && kernel.sets["PROXYD-6-OLD-SET"] != nil)
        #expect(kernel.sets["PROXYD-EXTERNAL-DROP"]?.type == "hash:ip,port")
    }

    @Test func setsGrowWithTheClusterAndASwapBringsTheNewSize() throws {
        #expect(IPVSIPSetRenderer.maxElements(for: 0) == 65536)
        #expect(IPVSIPSetRenderer.maxElements(for: 32768) == 65536)
        #expect(IPVSIPSetRenderer.maxElements(for: 40000) == 131072)
        let ports = (0..<40000).map { F.port("s\($0)", clusterIP: IPAddress.v4(IPv4Address(0x0a60_0000 + UInt32($0)))) }
        let full = Self.renderer.full(F.state(ports), listing: IPSetListing(sets: ["PROXYD-CLUSTER-IP": .init(type: "hash:ip,port", family: .ipv4)]))
        #expect(full.restore.text.contains("create PROXYD-SWAP hash:ip,port family inet hashsize 1024 maxelem 131072\n"))
        #expect(full.restore.text.contains("create PROXYD-LOOP-BACK hash:ip,port,ip family inet hashsize 1024 maxelem 65536\n"))
    }

    // MARK: partial syncs

    @Test func anEndpointChangeWritesOnlyItsHairpinEntry() throws {
        let before = F.state([
            F.port("web", clusterIP: "10.96.0.10", nodePort: 30080, endpoints: ["10.244.1.5:8080"]),
            F.port("api", clusterIP: "10.96.0.11", endpoints: ["10.244.1.6:8080"]),
        ])
        let after = F.state([
            F.port("web", clusterIP: "10.96.0.10", nodePort: 30080, endpoints: ["10.244.1.5:8080", "10.244.1.7:8080"]),
            F.port("api", clusterIP: "10.96.0.11", endpoints: ["10.244.1.6:8080"]),
        ])
        var committed = Self.renderer.full(before, listing: IPSetListing()).contents
        let input = try #require(Self.renderer.partial(DesiredStateDiff(from: before, to: after), committed: &committed))
        #expect(input.text == """
            # IPv4: -0 +0 ~1 Service ports, partial sync
            add PROXYD-LOOP-BACK 10.244.1.7,tcp:8080,10.244.1.7 -exist

            """)
        #expect(committed == Self.renderer.full(after, listing: IPSetListing()).contents)
    }

    @Test func anEntryTwoPortsShareStaysUntilTheLastOneGoes() throws {
        // Two Services with the same endpoint: one hairpin entry.
        let web = F.port("web", clusterIP: "10.96.0.10", endpoints: ["10.244.1.5:8080"])
        let api = F.port("api", clusterIP: "10.96.0.11", endpoints: ["10.244.1.5:8080"])
        let both = F.state([web, api])
        let onlyWeb = F.state([web])
        let none = F.state([])
        var committed = Self.renderer.full(both, listing: IPSetListing()).contents
        let first = try #require(Self.renderer.partial(DesiredStateDiff(from: both, to: onlyWeb), committed: &committed))
        #expect(first.text == """
            # IPv4: -1 +0 ~0 Service ports, partial sync
            del PROXYD-CLUSTER-IP 10.96.0.11,tcp:80 -exist
            del PROXYD-IPVS-IPS 10.96.0.11 -exist

            """)
        let second = try #require(Self.renderer.partial(DesiredStateDiff(from: onlyWeb, to: none), committed: &committed))
        #expect(second.text.contains("del PROXYD-LOOP-BACK 10.244.1.5,tcp:8080,10.244.1.5 -exist\n"))
        #expect(IPVSIPSet.allCases.allSatisfy { committed.count($0) == 0 })
    }

    @Test func anEndpointLeavingThisNodeMovesALocalPolicyPortIntoTheDropSets() throws {
        let with = F.state([F.port("local", clusterIP: "10.96.0.15", nodePort: 30086, externalPolicy: .local, endpoints: ["10.244.1.5:8080"], local: ["10.244.0.11:8080"])])
        let without = F.state([F.port("local", clusterIP: "10.96.0.15", nodePort: 30086, externalPolicy: .local, endpoints: ["10.244.1.5:8080"])])
        var committed = Self.renderer.full(with, listing: IPSetListing()).contents
        let input = try #require(Self.renderer.partial(DesiredStateDiff(from: with, to: without), committed: &committed))
        #expect(input.text == """
            # IPv4: -0 +0 ~1 Service ports, partial sync
            del PROXYD-LOOP-BACK 10.244.0.11,tcp:8080,10.244.0.11 -exist
            add PROXYD-EXTERNAL-DROP 192.168.1.10,tcp:30086 -exist

            """)
    }

    @Test func anUnchangedSetOfEntriesWritesNothing() throws {
        // Affinity changes IPVS, not the sets.
        let before = F.state([F.port("web", clusterIP: "10.96.0.10", endpoints: ["10.244.1.5:8080"])])
        let after = F.state([F.port("web", clusterIP: "10.96.0.10", affinity: .clientIP(timeoutSeconds: 60), endpoints: ["10.244.1.5:8080"])])
        var committed = Self.renderer.full(before, listing: IPSetListing()).contents
        let input = try #require(Self.renderer.partial(DesiredStateDiff(from: before, to: after), committed: &committed))
        #expect(input.isEmpty)
    }

    @Test func aPartialSyncThatCannotBeTrustedReturnsNilAndChangesNothing() {
        let state = F.state([F.port("web", clusterIP: "10.96.0.10", endpoints: ["10.244.1.5:8080"])])
        let committed = Self.renderer.full(state, listing: IPSetListing()).contents

        var nodeChanged = DesiredStateDiff(family: .ipv4)
        nodeChanged.node = DesiredState.NodeSettings(nodeIPs: ["192.168.1.11"])
        var copy = committed
        #expect(Self.renderer.partial(nodeChanged, committed: &copy) == nil)
        #expect(copy == committed)

        // Other NodePort addresses: every SCTP and drop entry may differ.
        let other = IPVSIPSetRenderer(planner: IPVSPlanner(
            family: .ipv4, settings: IPVSSettings(), nodePortAddresses: .addresses(["192.168.1.11"]), localAddresses: ["192.168.1.11"]))
        var diff = DesiredStateDiff(family: .ipv4)
        diff.record(before: [], after: [F.port("api", clusterIP: "10.96.0.11")])
        #expect(other.partial(diff, committed: &copy) == nil)
        #expect(copy == committed)
    }

    @Test func aSetThatWouldOutgrowItsSizeMakesTheSyncFull() throws {
        func ports(_ range: Range<UInt32>) -> [ServicePort] {
            range.map { F.port("s\($0)", clusterIP: IPAddress.v4(IPv4Address(0x0a60_0000 + $0))) }
        }
        // Created for 32,768 entries with room for 65,536.
        let state = F.state(ports(0..<32768))
        var committed = Self.renderer.full(state, listing: IPSetListing()).contents
        let before = committed
        var diff = DesiredStateDiff(family: .ipv4)
        diff.record(before: [], after: ports(32768..<65537))
        #expect(Self.renderer.partial(diff, committed: &committed) == nil)
        #expect(committed == before)
        diff = DesiredStateDiff(family: .ipv4)
        diff.record(before: [], after: ports(32768..<65536))
        #expect(Self.renderer.partial(diff, committed: &committed) != nil)
        #expect(committed.count(.clusterIP) == 65536)
    }

    // MARK: hostile input

    @Test func namesFromTheClusterNeverReachTheRestoreInput() throws {
        let hostile = "x\nflush PROXYD-CLUSTER-IP\n\"; destroy"
        var port = F.port("web", clusterIP: "10.96.0.10", nodePort: 30080, endpoints: ["10.244.1.5:8080"])
        port.name = ServicePortName(service: ObjectKey(namespace: hostile, name: hostile), port: hostile, protocol: .tcp)
        let state = F.state([port])
        let full = Self.renderer.full(state, listing: IPSetListing())
        var committed = full.contents
        var diff = DesiredStateDiff(family: .ipv4)
        var changed = port
        changed.clusterEndpoints.append(ServiceEndpoint(address: "10.244.1.6", port: 8080))
        diff.record(before: [port], after: [changed])
        let partial = try #require(Self.renderer.partial(diff, committed: &committed))
        for text in [full.restore.text, partial.text] {
            #expect(!text.contains("flush") && !text.contains("\"") && !text.contains(hostile))
            for line in text.split(separator: "\n") {
                #expect(["#", "create ", "add ", "del ", "swap ", "destroy "].contains { line.hasPrefix($0) }, "\(line)")
            }
        }
    }

    // MARK: Golden

    /// The example cluster's ipsets, reviewed by a human (UPDATE_GOLDEN=1 rewrites it).
    @Test func theExampleClustersSetsMatchTheReviewedRestoreInput() throws {
        let examples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("examples").path
        let snapshot = ClusterSnapshot(FileSourceHelper.load(examples))
        let configuration = ProxyConfiguration(nodeName: "node-a", clusterCIDRs: ["10.244.0.0/16", "fd00:10:244::/56"], nodePortAddresses: [])
        let model = ProxyModel(configuration: configuration)
        let localAddresses: [IPAddress] = ["172.18.0.2", "fd00:172:18::2"]
        let context = NodeContext(snapshot: snapshot, nodeName: "node-a", localAddresses: localAddresses)
        let text = model.servedFamilies(node: context).map { family in
            let state = model.desiredState(for: family, snapshot: snapshot, node: context).state
            let renderer = IPVSIPSetRenderer(planner: IPVSPlanner(settings: IPVSSettings(), for: state, localAddresses: localAddresses))
            return renderer.full(state, listing: IPSetListing()).restore.text
        }.joined()
        try Golden.compare(text, file: "ipvs-examples-node-a.ipset")
    }

    // MARK: properties

    @Test(arguments: 0..<16)
    func partialSyncsLeaveWhatAFullSyncWouldEachStepWritingOnlyItsDifferences(seed: Int) throws {
        let node = Fixtures.node("node-a", addresses: ["192.168.1.10", "fd00::10"])
        var cluster = RandomCluster(seed: UInt64(seed), nodeName: "node-a")
        let model = ProxyModel(configuration: IPVSPlannerTests.configuration)
        let localAddresses: [IPAddress] = ["192.168.1.10", "127.0.0.1"]
        func state() -> DesiredState {
            let snapshot = ClusterSnapshot(cluster.objects(node: node))
            let context = NodeContext(snapshot: snapshot, nodeName: "node-a", localAddresses: localAddresses)
            return model.desiredState(for: .ipv4, snapshot: snapshot, node: context).state
        }
        var last = state()
        let renderer = IPVSIPSetRenderer(planner: IPVSPlanner(settings: IPVSSettings(), for: last, localAddresses: localAddresses))
        var kernel = IPSetFakeKernel()
        let first = renderer.full(last, listing: kernel.listing)
        try kernel.restore(first.restore)
        var committed = first.contents
        for _ in 0..<10 {
            let previous = last
            last = state()
            let diff = DesiredStateDiff(from: previous, to: last)
            let before = kernel.entries(prefix: "PROXYD-")
            let input = try #require(renderer.partial(diff, committed: &committed))
            // No -exist needed to apply it: it adds only what is missing and deletes only what is there.
            try kernel.restore(IPSetRestoreInput(family: .ipv4, text: input.text.replacingOccurrences(of: " -exist", with: "")))
            let after = kernel.entries(prefix: "PROXYD-")
            let written = input.text.split(separator: "\n").filter { !$0.hasPrefix("#") }.count
            #expect(written == Set(before).symmetricDifference(after).count, "\(input.text)")
        }
        // The same sets a full sync of the final state fills, on a kernel of its own and through a swap here.
        var reference = IPSetFakeKernel()
        let full = renderer.full(last, listing: IPSetListing())
        try reference.restore(full.restore)
        #expect(kernel.entries(prefix: "PROXYD-") == reference.entries(prefix: "PROXYD-"))
        #expect(committed == full.contents)
        try kernel.restore(renderer.full(last, listing: kernel.listing).restore)
        #expect(kernel.entries(prefix: "PROXYD-") == reference.entries(prefix: "PROXYD-"))
    }
}
