import Backends
import Foundation
import ProxyTesting
import ServiceModel
import Testing

/// IPVS mode's ipsets and iptables rules against this machine's kernel (which has ipset and both iptables flavours,
/// but no IPVS: traffic through them is `VMChecks/IPVSProgramChecks`' job), through the real drivers in a lab node:
/// they load, a second full sync changes nothing it need not, a partial restore changes exactly its entries, a
/// refused line is named, and `--cleanup` removes all of it and nothing else.
@Suite("IPVS mode's ipsets and iptables rules against the kernel")
struct IPVSModeRulesKernelTests {
    static let configuration = ProxyConfiguration(
        nodeName: ServiceScenario.nodeName, clusterCIDRs: [LabTopology.clusterCIDRIPv4, LabTopology.clusterCIDRIPv6], nodePortAddresses: [])

    /// Services of every kind the sets distinguish, in one family.
    static func objects(_ a: ScenarioAddresses, webEndpoints: [String] = ["web-1", "web-r"]) -> [KubernetesObject] {
        a.nodes + [
            a.service("web", clusterIP: 10), a.slice("web", ready: webEndpoints),
            a.service("np", clusterIP: 11, type: "NodePort", ports: [.tcp(80, name: "http", nodePort: 30080), .udp(53, name: "dns", nodePort: 30053)]),
            a.slice("np", ready: ["web-1"], ports: [.init(name: "http", protocol: "TCP", port: 8080), .init(name: "dns", protocol: "UDP", port: 8080)]),
            a.service("fw", clusterIP: 13, type: "LoadBalancer", ports: [.tcp(80, name: "http", nodePort: 30082)]) {
                $0.status = .init(loadBalancer: .init(ingress: [.init(ip: a.loadBalancerIP(13))]))
                $0.spec.loadBalancerSourceRanges = [a.clientRange, a.nodeNetwork]
                $0.spec.externalIPs = [a.externalIP(13)]
            },
            a.slice("fw", ready: ["web-1"]),
            a.service("local", clusterIP: 16, type: "LoadBalancer", ports: [.tcp(80, name: "http", nodePort: 30085)]) {
                $0.status = .init(loadBalancer: .init(ingress: [.init(ip: a.loadBalancerIP(16))]))
                $0.spec.externalTrafficPolicy = "Local"
                $0.spec.healthCheckNodePort = 32085
            },
            a.slice("local", ready: ["web-r"]),
            a.service("itl", clusterIP: 17) { $0.spec.internalTrafficPolicy = "Local" }, a.slice("itl", ready: ["web-r"]),
            a.service("sctp", clusterIP: 19, type: "NodePort", ports: [Service.Port(name: "s", protocol: "SCTP", port: 9000, nodePort: 30900)]),
            a.slice("sctp", ready: ["web-1"], ports: [.init(name: "s", protocol: "SCTP", port: 9000)]),
            a.service("empty", clusterIP: 18, type: "NodePort", ports: [.tcp(80, name: "http", nodePort: 30086)]),
        ]
    }

    static func state(_ objects: [KubernetesObject], _ family: IPFamily) -> DesiredState {
        let snapshot = ClusterSnapshot(objects)
        let node = NodeContext(snapshot: snapshot, nodeName: ServiceScenario.nodeName, localAddresses: [])
        return ProxyModel(configuration: configuration).desiredState(for: family, snapshot: snapshot, node: node).state
    }

    static func renderer(_ lab: NetworkLab, _ state: DesiredState) -> IPVSIPSetRenderer {
        IPVSIPSetRenderer(planner: IPVSPlanner(settings: IPVSSettings(), for: state, localAddresses: lab.node.addresses))
    }

    /// `ipset save` of proxyd's sets as `SET entry` lines, sorted.
    static func savedEntries(_ lab: NetworkLab) async throws -> [String] {
        let save = try await lab.exec(in: lab.node, ["ipset", "save"]).requireSuccess().stdout
        return save.split(separator: "\n").filter { $0.hasPrefix("add PROXYD-") }.map { String($0.dropFirst(4)) }.sorted()
    }

    /// The renderer's contents as `SET entry` lines with the family's set names, sorted.
    static func expectedEntries(_ contents: IPVSIPSetContents, _ family: IPFamily) -> [String] {
        IPVSIPSet.allCases.flatMap { set in contents.entries(set).map { "\(set.name(family)) \($0)" } }.sorted()
    }

    /// Loads both families' sets and rules as a full sync does: listing, sets, then rules.
    @discardableResult
    static func fullSync(_ lab: NetworkLab, flavour: IptablesFlavour, _ states: [DesiredState]) async throws -> (ipsets: [IPVSIPSetContents], rules: [IptablesRestoreInput]) {
        let namespace = "/run/netns/\(lab.node.namespace)"
        let ipset = try IPSetDriver(networkNamespace: namespace)
        let iptables = try IptablesDriver(flavour: flavour, networkNamespace: namespace)
        var contents: [IPVSIPSetContents] = []
        var rules: [IptablesRestoreInput] = []
        for state in states {
            let full = renderer(lab, state).full(state, listing: try await ipset.listing())
            try await ipset.restore(full.restore)
            let (input, warnings) = IPVSIptablesRenderer().render(state.family, node: state.node, listing: try await iptables.listing(state.family))
            #expect(warnings.isEmpty)
            try await iptables.restore(input)
            try await ipset.restore(full.staleSets)
            contents.append(full.contents)
            rules.append(input)
        }
        return (contents, rules)
    }

    @Test(arguments: IptablesFlavour.allCases)
    func theSetsAndRulesLoadAndASecondFullSyncSwapsTheSetsAndKeepsTheJumps(flavour: IptablesFlavour) async throws {
        try await NetworkLab.with(LabSpec(pods: [])) { lab in
            let states = IPFamily.allCases.map { Self.state(Self.objects(ScenarioAddresses($0)), $0) }
            let first = try await Self.fullSync(lab, flavour: flavour, states)
            let expected = zip(first.ipsets, IPFamily.allCases).flatMap { Self.expectedEntries($0, $1) }.sorted()
            #expect(try await Self.savedEntries(lab) == expected)
            #expect(expected.contains("PROXYD-6-LOAD-BALANCER-SRC-CIDR 2001:db8:203::13,tcp:80,fd00:172:18::/64"), "\(expected)")
            #expect(expected.contains("PROXYD-EXTERNAL-DROP 203.0.113.16,tcp:80"))
            #expect(expected.contains("PROXYD-NODE-PORT-SCTP 172.18.0.2,sctp:30900"))
            for command in ["iptables", "ip6tables"] {
                let nat = try await lab.exec(in: lab.node, ["\(command)-\(flavour)-save", "-t", "nat"]).requireSuccess().stdout
                #expect(nat.contains("-A PREROUTING -m comment --comment \"kubernetes service portals\" -j PROXYD-SERVICES"), "\(nat)")
                #expect(nat.contains("-j PROXYD-MARK-DROP"))
            }

            // Again, over what is there: every set is swapped (the rules match on them), no jump is touched.
            let second = try await Self.fullSync(lab, flavour: flavour, states)
            #expect(try await Self.savedEntries(lab) == expected)
            for input in second.rules {
                let jumps = input.text.split(separator: "\n").filter { $0.hasPrefix("-I ") || $0.hasPrefix("-D ") }
                #expect(jumps.isEmpty, "a second sync rewrote jumps: \(jumps)")
            }
            let listed = try await lab.exec(in: lab.node, ["ipset", "list", "-t", "PROXYD-CLUSTER-IP"]).requireSuccess().stdout
            #expect(listed.contains("References: ") && !listed.contains("References: 0"), "\(listed)")
            let sets = try await lab.exec(in: lab.node, ["ipset", "list", "-n"]).requireSuccess().stdout.split(separator: "\n")
            #expect(sets.count == 2 * IPVSIPSet.allCases.count && !sets.contains("PROXYD-SWAP"), "\(sets)")
        }
    }

    @Test func aPartialRestoreChangesExactlyItsEntries() async throws {
        try await NetworkLab.with(LabSpec(pods: [])) { lab in
            let a = ScenarioAddresses(.ipv4)
            let before = Self.state(Self.objects(a), .ipv4)
            // web moves from web-r to web-1 (hairpin entries change); a Service arrives; itl's endpoint becomes local.
            var objects = Self.objects(a, webEndpoints: ["web-1"]) + [a.service("new", clusterIP: 30), a.slice("new", ready: ["web-2"])]
            objects = objects.map { object in
                if case .endpointSlice(let slice) = object, slice.metadata.name.hasPrefix("itl") { return a.slice("itl", ready: ["web-2"]) }
                return object
            }
            let after = Self.state(objects, .ipv4)
            let renderer = Self.renderer(lab, before)
            let ipset = try IPSetDriver(networkNamespace: "/run/netns/\(lab.node.namespace)")
            var committed = renderer.full(before, listing: IPSetListing()).contents
            try await ipset.restore(renderer.full(before, listing: IPSetListing()).restore)
            let saved = try await Self.savedEntries(lab)

            let input = try #require(renderer.partial(DesiredStateDiff(from: before, to: after), committed: &committed))
            try await ipset.restore(input)
            let now = try await Self.savedEntries(lab)
            let changed = Set(saved).symmetricDifference(now).sorted()
            #expect(changed == [
                "PROXYD-CLUSTER-IP 10.96.0.30,tcp:80", "PROXYD-CLUSTER-IP-DROP 10.96.0.17,tcp:80", "PROXYD-IPVS-IPS 10.96.0.30",
                "PROXYD-LOOP-BACK 10.244.0.12,tcp:8080,10.244.0.12",
            ], "\(input.text)")
            // web-r's hairpin entry stays: local still uses it.
            #expect(input.text.split(separator: "\n").count == 1 + changed.count, "\(input.text)")
            #expect(now == Self.expectedEntries(renderer.full(after, listing: IPSetListing()).contents, .ipv4))
            #expect(now == Self.expectedEntries(committed, .ipv4))
        }
    }

    @Test func aRefusedLineIsNamedWithTheLinesAroundIt() async throws {
        try await NetworkLab.with(LabSpec(pods: [])) { lab in
            let a = ScenarioAddresses(.ipv4)
            let before = Self.state(Self.objects(a), .ipv4)
            let renderer = Self.renderer(lab, before)
            let ipset = try IPSetDriver(networkNamespace: "/run/netns/\(lab.node.namespace)")
            let full = renderer.full(before, listing: IPSetListing())
            try await ipset.restore(full.restore)
            // Someone destroyed a set proxyd committed (no rule matches on it in this test).
            try await lab.exec(in: lab.node, ["ipset", "destroy", "PROXYD-CLUSTER-IP-DROP"]).requireSuccess()

            var committed = full.contents
            let objects = Self.objects(a) + [a.service("itl2", clusterIP: 31) { $0.spec.internalTrafficPolicy = "Local" }, a.slice("itl2", ready: ["web-r"])]
            let input = try #require(renderer.partial(DesiredStateDiff(from: before, to: Self.state(objects, .ipv4)), committed: &committed))
            let refusedLine = try #require(input.text.split(separator: "\n").firstIndex { $0.hasPrefix("add PROXYD-CLUSTER-IP-DROP") }) + 1
            do throws(IPSetError) {
                try await ipset.restore(input)
                Issue.record("ipset took an add to a set that does not exist")
            } catch {
                #expect(error.code == .refused)
                #expect(error.line == refusedLine, "\(error)")
                #expect(error.message.contains("does not exist"), "\(error)")
                #expect(error.description.contains("> \(refusedLine): add PROXYD-CLUSTER-IP-DROP 10.96.0.31,tcp:80 -exist"), "\(error)")
            }
            // A full sync from a listing repairs it.
            try await ipset.restore(renderer.full(Self.state(objects, .ipv4), listing: try await ipset.listing()).restore)
            #expect(try await Self.savedEntries(lab).contains("PROXYD-CLUSTER-IP-DROP 10.96.0.31,tcp:80"))
        }
    }

    @Test func cleanupRemovesEverySetChainAndJumpOfIPVSModeAndNothingElse() async throws {
        try await NetworkLab.with(LabSpec(pods: [])) { lab in
            try await lab.exec(in: lab.node, ["ipset", "create", "someone-else", "hash:ip"]).requireSuccess()
            try await lab.exec(in: lab.node, ["iptables-nft", "-A", "INPUT", "-m", "set", "--match-set", "someone-else", "src", "-j", "ACCEPT"]).requireSuccess()
            let states = IPFamily.allCases.map { Self.state(Self.objects(ScenarioAddresses($0)), $0) }
            try await Self.fullSync(lab, flavour: .nft, states)
            #expect(try await Self.savedEntries(lab).count > 40)

            let cleanup = try await lab.exec(in: lab.node, try ProxydInLab.command(["--cleanup"])).requireSuccess()
            #expect(cleanup.stderr.contains("ipset: removed set PROXYD-LOOP-BACK"), "\(cleanup.stderr)")
            #expect(!cleanup.stderr.contains("FAILED"), "\(cleanup.stderr)")
            let sets = try await lab.exec(in: lab.node, ["ipset", "list", "-n"]).requireSuccess().stdout
            #expect(sets.split(separator: "\n") == ["someone-else"])
            for command in ["iptables-nft-save", "ip6tables-nft-save"] {
                let dump = try await lab.exec(in: lab.node, [command]).requireSuccess().stdout
                #expect(!dump.contains("PROXYD-"), "\(command):\n\(dump)")
            }
            let filter = try await lab.exec(in: lab.node, ["iptables-nft-save", "-t", "filter"]).requireSuccess().stdout
            #expect(filter.contains("-A INPUT -m set --match-set someone-else src -j ACCEPT"), "\(filter)")
        }
    }
}
