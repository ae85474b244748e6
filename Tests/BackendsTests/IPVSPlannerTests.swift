import Backends
import Foundation
import ProxyTesting
import ServiceModel
import Testing

/// Service ports, desired states and kernel listings for the IPVS planner's tests.
enum IPVSFixtures {
    static let nodeIP: IPAddress = "192.168.1.10"
    static let planner = IPVSPlanner(
        family: .ipv4, settings: IPVSSettings(), nodePortAddresses: .addresses([nodeIP]),
        localAddresses: [nodeIP, "127.0.0.1", "fe80::1"])

    /// A Service port of `default/<service>`; endpoints as `IP:PORT`, `local` ones on this node.
    static func port(
        _ service: String, _ portName: String = "", clusterIP: IPAddress, port: UInt16 = 80, _ proto: TransportProtocol = .tcp,
        nodePort: UInt16? = nil, externalIPs: [IPAddress] = [], loadBalancerIPs: [IPAddress] = [],
        affinity: SessionAffinity = .none, internalPolicy: TrafficPolicy = .cluster, externalPolicy: TrafficPolicy = .cluster,
        endpoints: [String] = [], local: [String] = []
    ) -> ServicePort {
        func endpoint(_ text: String, isLocal: Bool) -> ServiceEndpoint {
            let colon = text.lastIndex(of: ":")!
            let host = text[..<colon].trimmingCharacters(in: ["[", "]"])
            return ServiceEndpoint(address: IPAddress(host)!, port: UInt16(text[text.index(after: colon)...])!, isLocal: isLocal)
        }
        let remote = endpoints.map { endpoint($0, isLocal: false) }
        let mine = local.map { endpoint($0, isLocal: true) }
        return ServicePort(
            name: ServicePortName(service: ObjectKey(namespace: "default", name: service), port: portName, protocol: proto),
            clusterIP: clusterIP, port: port, nodePort: nodePort, externalIPs: externalIPs, loadBalancerIPs: loadBalancerIPs,
            sessionAffinity: affinity, internalTrafficPolicy: internalPolicy, externalTrafficPolicy: externalPolicy,
            clusterEndpoints: (remote + mine).sorted(), localEndpoints: mine.sorted(), hasAnyEndpoints: !(remote + mine).isEmpty)
    }

    static func state(_ ports: [ServicePort], family: IPFamily = .ipv4) -> DesiredState {
        var services: [ObjectKey: [ServicePort]] = [:]
        for port in ports { services[port.name.service, default: []].append(port) }
        for key in services.keys { services[key]!.sort { $0.name < $1.name } }
        return DesiredState(
            family: family, node: DesiredState.NodeSettings(nodeIPs: [nodeIP], nodePortAddresses: .addresses([nodeIP])),
            services: services)
    }

    /// What the driver would list for a kernel holding `table` (every real server idle unless `connections` says).
    static func kernel(
        _ table: IPVSTable, extra: [IPVSVirtualServer] = [],
        connections: [IPVSVirtualService: [IPVSRealServer.ID: IPVSConnectionCounts]] = [:]
    ) -> IPVSKernelState {
        var state = IPVSKernelState(boundAddresses: table.boundAddresses.sorted())
        for entry in table.entries.values.sorted(by: { $0.service < $1.service }) {
            var server = entry.virtualServer
            server.flags.insert(.hashed)  // as the kernel lists every service
            state.virtualServers.append(server)
            state.realServers[entry.service] = entry.realServers.values.sorted().map {
                IPVSRealServerStatus(realServer: $0, connections: connections[entry.service]?[$0.id] ?? IPVSConnectionCounts())
            }
        }
        state.virtualServers += extra
        return state
    }

    /// Applies a plan to a simulated kernel, failing the test on any operation the kernel would refuse.
    static func apply(_ plan: IPVSPlan, to table: inout IPVSTable, sourceLocation: SourceLocation = #_sourceLocation) {
        for operation in plan.operations {
            do {
                try table.apply(operation)
            } catch {
                Issue.record("the kernel would refuse \(operation): \(error)\nplan:\n\(plan.text)", sourceLocation: sourceLocation)
                return
            }
        }
    }

    static let webIP: IPAddress = "10.96.0.10"
    static let web = IPVSVirtualService(webIP, .tcp, 80)
}

@Suite("IPVS planner")
struct IPVSPlannerTests {
    typealias F = IPVSFixtures

    // MARK: what a Service port asks for

    @Test func aClusterIPIsOneVirtualServerWithMasqueradeRealServersOfWeightOneAndItsAddressBound() {
        let contribution = F.planner.contribution(of: F.port("web", clusterIP: F.webIP, endpoints: ["10.244.1.5:8080", "10.244.0.11:8080"]))
        #expect(contribution.entries.count == 1)
        let entry = contribution.entries[0]
        #expect(entry.virtualServer == IPVSVirtualServer(F.webIP, .tcp, 80, scheduler: .roundRobin))
        #expect(entry.virtualServer.netmask == 0xffff_ffff)
        #expect(entry.realServers.values.sorted() == [
            IPVSRealServer(address: "10.244.0.11", port: 8080, forwarding: .masquerade, weight: 1),
            IPVSRealServer(address: "10.244.1.5", port: 8080, forwarding: .masquerade, weight: 1),
        ])
        #expect(contribution.boundAddresses == [F.webIP])
    }

    @Test func externalLoadBalancerAndNodePortAddressesEachGetAVirtualServerAndOnlyForeignAddressesAreBound() {
        let port = F.port(
            "lb", clusterIP: "10.96.0.12", port: 443, nodePort: 30443, externalIPs: ["198.51.100.7", F.nodeIP],
            loadBalancerIPs: ["203.0.113.5", "fd00::5"], endpoints: ["10.244.1.5:8443"])
        let contribution = F.planner.contribution(of: port)
        #expect(contribution.entries.map(\.service.description) == [
            "TCP 10.96.0.12:443", "TCP 198.51.100.7:443", "TCP 192.168.1.10:443", "TCP 203.0.113.5:443", "TCP 192.168.1.10:30443",
        ])
        #expect(contribution.entries.allSatisfy { $0.realServers.keys.map(\.description) == ["10.244.1.5:8443"] })
        // The node's own address is local already; the other family's address is the IPv6 planner's.
        #expect(contribution.boundAddresses == ["10.96.0.12", "198.51.100.7", "203.0.113.5"])
    }

    @Test(arguments: [(IPFamily.ipv4, UInt32(0xffff_ffff)), (.ipv6, 128)])
    func clientIPAffinityIsPersistenceWithTheServicesTimeoutPerClientAddress(family: IPFamily, netmask: UInt32) {
        let clusterIP: IPAddress = family == .ipv4 ? "10.96.0.20" : "fd00::20"
        let planner = IPVSPlanner(family: family, settings: IPVSSettings(), nodePortAddresses: .addresses([]), localAddresses: [])
        let server = planner.contribution(of: F.port("sticky", clusterIP: clusterIP, affinity: .clientIP(timeoutSeconds: 600))).entries[0].virtualServer
        #expect(server.flags == .persistent)
        #expect(server.timeout == 600)
        #expect(server.netmask == netmask)
    }

    @Test(arguments: [
        // (internal policy, external policy, local endpoints, ClusterIP real servers, external real servers)
        (TrafficPolicy.cluster, TrafficPolicy.local, ["10.244.0.11:80"], ["10.244.0.11:80", "10.244.1.5:80"], ["10.244.0.11:80"]),
        // No local endpoint: external traffic falls back to every endpoint, as in kube-proxy's IPVS mode.
        (.cluster, .local, [], ["10.244.1.5:80"], ["10.244.1.5:80"]),
        (.local, .cluster, ["10.244.0.11:80"], ["10.244.0.11:80"], ["10.244.0.11:80", "10.244.1.5:80"]),
        // internalTrafficPolicy Local without a local endpoint: no real server behind the ClusterIP.
        (.local, .cluster, [], [], ["10.244.1.5:80"]),
    ])
    func trafficPoliciesChooseTheRealServers(internalPolicy: TrafficPolicy, externalPolicy: TrafficPolicy, local: [String], clusterIP: [String], external: [String]) {
        let port = F.port(
            "web", clusterIP: F.webIP, nodePort: 30080, internalPolicy: internalPolicy, externalPolicy: externalPolicy,
            endpoints: ["10.244.1.5:80"], local: local)
        let entries = F.planner.contribution(of: port).entries
        #expect(entries[0].realServers.keys.sorted().map(\.description) == clusterIP)
        #expect(entries[1].service == IPVSVirtualService(F.nodeIP, .tcp, 30080))
        #expect(entries[1].realServers.keys.sorted().map(\.description) == external)
    }

    @Test func duplicateEndpointsAndAddressesOfTheOtherFamilyAreIgnored() {
        let port = F.port("web", clusterIP: F.webIP, externalIPs: ["fd00::7", F.webIP], endpoints: ["10.244.1.5:80", "10.244.1.5:80", "[fd00::5]:80"])
        let contribution = F.planner.contribution(of: port)
        #expect(contribution.entries.count == 1)
        #expect(contribution.entries[0].realServers.count == 1)
        #expect(contribution.boundAddresses == [F.webIP])
    }

    @Test func allLocalNodePortAddressesAreTheNodesAddressesWithoutLoopbackOrLinkLocal() {
        let planner = IPVSPlanner(
            family: .ipv6, settings: IPVSSettings(), nodePortAddresses: .allLocal,
            localAddresses: ["::1", "fe80::1", "fd00::10", "fd00::11", "192.168.1.10"])
        #expect(planner.nodePortAddresses == ["fd00::10", "fd00::11"])
    }

    // MARK: full plans

    @Test func aFullPlanOnAnEmptyKernelBindsThenAddsVirtualServersThenRealServers() {
        let state = F.state([
            F.port("web", clusterIP: F.webIP, endpoints: ["10.244.1.5:8080", "10.244.0.11:8080"]),
            F.port("dns", "dns", clusterIP: "10.96.0.53", port: 53, .udp, endpoints: ["10.244.0.12:53"]),
        ])
        let plan = F.planner.plan(state, kernel: IPVSKernelState())
        #expect(plan.isFull)
        #expect(plan.text == """
            ip addr add 10.96.0.10/32 dev proxyd-ipvs0
            ip addr add 10.96.0.53/32 dev proxyd-ipvs0
            -A -t 10.96.0.10:80 -s rr
            -A -u 10.96.0.53:53 -s rr
            -a -t 10.96.0.10:80 -r 10.244.0.11:8080 -m -w 1
            -a -t 10.96.0.10:80 -r 10.244.1.5:8080 -m -w 1
            -a -u 10.96.0.53:53 -r 10.244.0.12:53 -m -w 1
            """)
        var table = IPVSTable()
        F.apply(plan, to: &table)
        #expect(table == plan.committed.table)
    }

    @Test func aFullPlanOverWhatItCommittedChangesNothing() {
        let state = F.state([
            F.port("web", clusterIP: F.webIP, nodePort: 30080, externalIPs: ["198.51.100.7"], affinity: .clientIP(timeoutSeconds: 60), endpoints: ["10.244.1.5:80"]),
            F.port("dns", clusterIP: "10.96.0.53", port: 53, .udp),
        ])
        let first = F.planner.plan(state, kernel: IPVSKernelState())
        let second = F.planner.plan(state, kernel: F.kernel(first.committed.table))
        #expect(second.operations.isEmpty, "\(second.text)")
        #expect(second.committed == first.committed)
    }

    @Test(arguments: IPVSScheduler.supported.filter { $0 != .roundRobin })
    func aSchedulerChangeUpdatesEveryVirtualServerInPlace(scheduler: IPVSScheduler) {
        let state = F.state([F.port("web", clusterIP: F.webIP, nodePort: 30080, endpoints: ["10.244.1.5:80"])])
        let before = F.planner.plan(state, kernel: IPVSKernelState()).committed.table
        var planner = F.planner
        planner.settings.scheduler = scheduler
        let plan = planner.plan(state, kernel: F.kernel(before))
        #expect(plan.operations == [
            .updateVirtualServer(IPVSVirtualServer(F.webIP, .tcp, 80, scheduler: scheduler)),
            .updateVirtualServer(IPVSVirtualServer(F.nodeIP, .tcp, 30080, scheduler: scheduler)),
        ])
    }

    @Test func aFullPlanLeavesOtherFamiliesFirewallMarksAndExcludedAddressesAloneAndRemovesTheRest() {
        var planner = F.planner
        planner.settings.excludeCIDRs = ["192.0.2.0/24"]
        let state = F.state([F.port("web", clusterIP: F.webIP)])
        let foreign = [
            IPVSVirtualServer("fd00::10", .tcp, 80, scheduler: .roundRobin),
            IPVSVirtualServer(service: IPVSVirtualService(address: nil, protocolNumber: 0, port: 0, firewallMark: 7), scheduler: .roundRobin, flags: [], timeout: 0, netmask: 0),
            IPVSVirtualServer("192.0.2.1", .tcp, 80, scheduler: .roundRobin),
        ]
        var stale = IPVSTable(boundAddresses: [F.webIP, "10.96.0.99"])
        stale.entries[IPVSVirtualService("10.96.0.99", .tcp, 80)] = IPVSEntry(
            IPVSVirtualServer("10.96.0.99", .tcp, 80, scheduler: .roundRobin), realServers: [IPVSRealServer(address: "10.244.1.9", port: 80)])
        let plan = planner.plan(state, kernel: F.kernel(stale, extra: foreign))
        #expect(plan.text == """
            -A -t 10.96.0.10:80 -s rr
            -D -t 10.96.0.99:80
            ip addr del 10.96.0.99/32 dev proxyd-ipvs0
            """)
        #expect(Set(plan.committed.table.entries.keys) == [F.web])
    }

    @Test func aVirtualServerProxydWantsIsProgrammedEvenInsideExcludedCIDRs() {
        var planner = F.planner
        planner.settings.excludeCIDRs = ["10.96.0.0/16"]
        let plan = planner.plan(F.state([F.port("web", clusterIP: F.webIP)]), kernel: IPVSKernelState())
        #expect(plan.operations.contains(.addVirtualServer(IPVSVirtualServer(F.webIP, .tcp, 80, scheduler: .roundRobin))))
    }

    @Test(arguments: [
        // (protocol, kernel weight, active, inactive, expected operation)
        (TransportProtocol.tcp, Int32(1), UInt32(0), UInt32(0), "-d -t 10.96.0.10:80 -r 10.244.1.9:80"),  // idle: deleted at once
        (.tcp, 1, 1, 0, "-e -t 10.96.0.10:80 -r 10.244.1.9:80 -m -w 0"),  // an open connection: drained
        (.tcp, 1, 0, 3, "-e -t 10.96.0.10:80 -r 10.244.1.9:80 -m -w 0"),  // closing connections count too
        (.tcp, 0, 2, 0, ""),  // already draining: left as it is
        (.udp, 1, 0, 5, "-d -u 10.96.0.10:80 -r 10.244.1.9:80"),  // UDP never drains
        (.sctp, 1, 4, 0, "-d --sctp-service 10.96.0.10:80 -r 10.244.1.9:80"),
    ])
    func aRemovedRealServerIsDrainedOnlyWhileTCPConnectionsUseIt(
        proto: TransportProtocol, weight: Int32, active: UInt32, inactive: UInt32, expected: String
    ) {
        let state = F.state([F.port("web", clusterIP: F.webIP, proto, endpoints: ["10.244.1.5:80"])])
        var table = F.planner.plan(state, kernel: IPVSKernelState()).committed.table
        let service = IPVSVirtualService(F.webIP, proto, 80)
        let old = IPVSRealServer(address: "10.244.1.9", port: 80, weight: weight)
        table.entries[service]!.realServers[old.id] = old
        let plan = F.planner.plan(
            state, kernel: F.kernel(table, connections: [service: [old.id: IPVSConnectionCounts(active: active, inactive: inactive)]]))
        #expect(plan.text == expected)
        let draining = plan.committed.draining[service] ?? []
        #expect(draining == (expected.contains("-w 0") || expected.isEmpty ? [old.id] : []))
    }

    @Test func aDesiredRealServerFoundDrainedGetsItsWeightBack() {
        let state = F.state([F.port("web", clusterIP: F.webIP, endpoints: ["10.244.1.5:80"])])
        var table = F.planner.plan(state, kernel: IPVSKernelState()).committed.table
        table.entries[F.web]!.realServers[IPVSRealServer.ID("10.244.1.5", 80)]!.weight = 0
        #expect(F.planner.plan(state, kernel: F.kernel(table)).text == "-e -t 10.96.0.10:80 -r 10.244.1.5:80 -m -w 1")
    }

    @Test func twoServicePortsClaimingOneVirtualServerTheFirstWinsWithAWarning() {
        let state = F.state([
            F.port("b", clusterIP: "10.96.0.2", externalIPs: ["198.51.100.7"], endpoints: ["10.244.1.2:80"]),
            F.port("a", clusterIP: "10.96.0.1", externalIPs: ["198.51.100.7"], endpoints: ["10.244.1.1:80"]),
        ])
        let plan = F.planner.plan(state, kernel: IPVSKernelState())
        let shared = IPVSVirtualService("198.51.100.7", .tcp, 80)
        #expect(plan.committed.table.entries[shared]?.realServers.keys.map(\.description) == ["10.244.1.1:80"])
        #expect(plan.warnings == ["IPVS virtual server TCP 198.51.100.7:80 is claimed by default/a, default/b; using default/a's"])
    }

    // MARK: partial plans

    static let base = [
        F.port("web", clusterIP: F.webIP, nodePort: 30080, endpoints: ["10.244.1.5:80", "10.244.1.6:80"]),
        F.port("dns", "dns", clusterIP: "10.96.0.53", port: 53, .udp, endpoints: ["10.244.0.12:53", "10.244.0.13:53"]),
        F.port("sticky", clusterIP: "10.96.0.30", affinity: .clientIP(timeoutSeconds: 60), endpoints: ["10.244.1.7:80"]),
    ]

    struct Change: Sendable, CustomStringConvertible {
        var description: String
        var after: [ServicePort]
        var expected: [String]
    }

    static let changes: [Change] = [
        Change(description: "an endpoint added", after: [
            F.port("web", clusterIP: F.webIP, nodePort: 30080, endpoints: ["10.244.1.5:80", "10.244.1.6:80", "10.244.1.8:80"]), base[1], base[2],
        ], expected: [
            "-a -t 10.96.0.10:80 -r 10.244.1.8:80 -m -w 1", "-a -t 192.168.1.10:30080 -r 10.244.1.8:80 -m -w 1",
        ]),
        Change(description: "a TCP endpoint removed", after: [
            F.port("web", clusterIP: F.webIP, nodePort: 30080, endpoints: ["10.244.1.5:80"]), base[1], base[2],
        ], expected: [
            "-e -t 10.96.0.10:80 -r 10.244.1.6:80 -m -w 0", "-e -t 192.168.1.10:30080 -r 10.244.1.6:80 -m -w 0",
        ]),
        Change(description: "a UDP endpoint removed", after: [
            base[0], F.port("dns", "dns", clusterIP: "10.96.0.53", port: 53, .udp, endpoints: ["10.244.0.12:53"]), base[2],
        ], expected: ["-d -u 10.96.0.53:53 -r 10.244.0.13:53"]),
        Change(description: "affinity turned off", after: [
            base[0], base[1], F.port("sticky", clusterIP: "10.96.0.30", endpoints: ["10.244.1.7:80"]),
        ], expected: ["-E -t 10.96.0.30:80 -s rr"]),
        Change(description: "a Service added", after: base + [F.port("new", clusterIP: "10.96.0.40", endpoints: ["10.244.1.9:80"])], expected: [
            "ip addr add 10.96.0.40/32 dev proxyd-ipvs0", "-A -t 10.96.0.40:80 -s rr", "-a -t 10.96.0.40:80 -r 10.244.1.9:80 -m -w 1",
        ]),
        Change(description: "a Service removed", after: [base[0], base[1]], expected: [
            "-D -t 10.96.0.30:80", "ip addr del 10.96.0.30/32 dev proxyd-ipvs0",
        ]),
    ]

    @Test(arguments: changes)
    func aChangeIsPlannedFromTheCommittedStateAndTheDiffAlone(change: Change) throws {
        let before = F.state(Self.base)
        let full = F.planner.plan(before, kernel: IPVSKernelState())
        let after = F.state(change.after)
        let plan = try #require(F.planner.plan(DesiredStateDiff(from: before, to: after), state: after, committed: full.committed))
        #expect(!plan.isFull)
        #expect(plan.operations.map(\.description) == change.expected)
        var table = full.committed.table
        F.apply(plan, to: &table)
        #expect(table == plan.committed.table)
    }

    @Test func anEndpointComingBackWhileDrainingGetsItsWeightBackAndLeavesTheDrainList() throws {
        let before = F.state(Self.base)
        let committed = F.planner.plan(before, kernel: IPVSKernelState()).committed
        let shrunk = F.state([F.port("web", clusterIP: F.webIP, nodePort: 30080, endpoints: ["10.244.1.5:80"]), Self.base[1], Self.base[2]])
        let drained = try #require(F.planner.plan(DesiredStateDiff(from: before, to: shrunk), state: shrunk, committed: committed))
        #expect(drained.committed.draining[F.web] == [IPVSRealServer.ID("10.244.1.6", 80)])
        let back = try #require(F.planner.plan(DesiredStateDiff(from: shrunk, to: before), state: before, committed: drained.committed))
        #expect(back.text == """
            -e -t 10.96.0.10:80 -r 10.244.1.6:80 -m -w 1
            -e -t 192.168.1.10:30080 -r 10.244.1.6:80 -m -w 1
            """)
        #expect(back.committed.draining.isEmpty)
    }

    @Test func removingTheWinningClaimHandsTheVirtualServerToTheNextClaimant() throws {
        let a = F.port("a", clusterIP: "10.96.0.1", externalIPs: ["198.51.100.7"], endpoints: ["10.244.1.1:80"])
        let b = F.port("b", clusterIP: "10.96.0.2", externalIPs: ["198.51.100.7"], endpoints: ["10.244.1.2:80"])
        let before = F.state([a, b])
        let committed = F.planner.plan(before, kernel: IPVSKernelState()).committed
        let after = F.state([b])
        let plan = try #require(F.planner.plan(DesiredStateDiff(from: before, to: after), state: after, committed: committed))
        #expect(plan.text == """
            -a -t 198.51.100.7:80 -r 10.244.1.2:80 -m -w 1
            -e -t 198.51.100.7:80 -r 10.244.1.1:80 -m -w 0
            -D -t 10.96.0.1:80
            ip addr del 10.96.0.1/32 dev proxyd-ipvs0
            """)
        #expect(plan.warnings.isEmpty)
    }

    @Test func aVirtualServerInsideExcludedCIDRsThatProxydNoLongerWantsIsForgottenNotDeleted() throws {
        var planner = F.planner
        planner.settings.excludeCIDRs = ["198.51.100.0/24"]
        let before = F.state([F.port("web", clusterIP: F.webIP, externalIPs: ["198.51.100.7"])])
        let committed = planner.plan(before, kernel: IPVSKernelState()).committed
        let after = F.state([F.port("web", clusterIP: F.webIP)])
        let plan = try #require(planner.plan(DesiredStateDiff(from: before, to: after), state: after, committed: committed))
        #expect(plan.text == "ip addr del 198.51.100.7/32 dev proxyd-ipvs0")
        #expect(plan.committed.table.entries[IPVSVirtualService("198.51.100.7", .tcp, 80)] == nil)
    }

    @Test func aPartialPlanIsRefusedWhenNodeSettingsOrThePlannerChanged() {
        let before = F.state(Self.base)
        let committed = F.planner.plan(before, kernel: IPVSKernelState()).committed
        var moved = before
        moved.node.nodePortAddresses = .addresses(["192.168.1.11"])
        #expect(F.planner.plan(DesiredStateDiff(from: before, to: moved), state: moved, committed: committed) == nil)
        var planner = F.planner
        planner.settings.scheduler = IPVSScheduler(kernelName: "lc")
        #expect(planner.plan(DesiredStateDiff(from: before, to: before), state: before, committed: committed) == nil)
    }

    // MARK: drains

    @Test func drainedRealServersGoOnceIdleOrGoneAndStayWhileConnectionsRemain() throws {
        let before = F.state([F.port("web", clusterIP: F.webIP, endpoints: ["10.244.1.5:80", "10.244.1.6:80", "10.244.1.7:80", "10.244.1.8:80"])])
        let committed = F.planner.plan(before, kernel: IPVSKernelState()).committed
        let after = F.state([F.port("web", clusterIP: F.webIP, endpoints: ["10.244.1.5:80"])])
        let drained = try #require(F.planner.plan(DesiredStateDiff(from: before, to: after), state: after, committed: committed)).committed
        #expect(drained.draining[F.web]?.count == 3)
        let plan = F.planner.finishDrains(drained, listed: [F.web: [
            IPVSRealServerStatus(realServer: IPVSRealServer(address: "10.244.1.5", port: 80), connections: IPVSConnectionCounts(active: 9)),
            IPVSRealServerStatus(realServer: IPVSRealServer(address: "10.244.1.6", port: 80, weight: 0), connections: IPVSConnectionCounts(active: 1)),
            IPVSRealServerStatus(realServer: IPVSRealServer(address: "10.244.1.7", port: 80, weight: 0), connections: IPVSConnectionCounts(persistent: 2)),
        ]])
        #expect(plan.text == """
            -d -t 10.96.0.10:80 -r 10.244.1.7:80
            -d -t 10.96.0.10:80 -r 10.244.1.8:80
            """)
        #expect(plan.committed.draining[F.web] == [IPVSRealServer.ID("10.244.1.6", 80)])
        #expect(plan.committed.table.entries[F.web]?.realServers.count == 2)
    }

    // MARK: properties

    static let configuration = ProxyConfiguration(nodeName: "node-a", clusterCIDRs: ["10.244.0.0/16", "fd00:10:244::/56"])

    @Test(arguments: 0..<24)
    func partialPlansLeaveWhatAFullPlanWouldEachStepCostingOnlyItsDiff(seed: Int) throws {
        let node = Fixtures.node("node-a", addresses: ["192.168.1.10", "fd00::10"])
        var cluster = RandomCluster(seed: UInt64(seed), nodeName: "node-a")
        let model = ProxyModel(configuration: Self.configuration)
        let localAddresses: [IPAddress] = ["192.168.1.10", "fd00::10", "127.0.0.1"]
        func states() -> [DesiredState] {
            let snapshot = ClusterSnapshot(cluster.objects(node: node))
            let context = NodeContext(snapshot: snapshot, nodeName: "node-a", localAddresses: localAddresses)
            return IPFamily.allCases.map { model.desiredState(for: $0, snapshot: snapshot, node: context).state }
        }
        var last = states()
        let planners = last.map { IPVSPlanner(settings: IPVSSettings(), for: $0, localAddresses: localAddresses) }
        var kernels = last.map { _ in IPVSTable() }
        var committed: [IPVSCommittedState] = []
        for (index, state) in last.enumerated() {
            let plan = planners[index].plan(state, kernel: IPVSKernelState())
            F.apply(plan, to: &kernels[index])
            committed.append(plan.committed)
        }
        for _ in 0..<10 {
            let previous = last
            last = states()
            for index in last.indices {
                let diff = DesiredStateDiff(from: previous[index], to: last[index])
                let plan = try #require(planners[index].plan(diff, state: last[index], committed: committed[index]))
                F.apply(plan, to: &kernels[index])
                #expect(kernels[index] == plan.committed.table)
                // Only what the diff names is touched.
                let touched = Set((diff.removed + diff.added + diff.changed.flatMap { [$0.old, $0.new] }).flatMap {
                    planners[index].contribution(of: $0).entries.map(\.service)
                })
                #expect(plan.operations.compactMap(\.service).allSatisfy(touched.contains))
                committed[index] = plan.committed
            }
        }
        for index in last.indices {
            // Once the drained real servers are idle, the kernel holds exactly what a full plan from nothing builds.
            let drains = planners[index].finishDrains(committed[index], listed: [:])
            F.apply(drains, to: &kernels[index])
            #expect(drains.committed.draining.isEmpty)
            let reference = planners[index].plan(last[index], kernel: IPVSKernelState())
            #expect(kernels[index] == reference.committed.table)
            // And a full plan over that kernel has nothing to do.
            #expect(planners[index].plan(last[index], kernel: F.kernel(kernels[index])).operations.isEmpty)
        }
    }
}
