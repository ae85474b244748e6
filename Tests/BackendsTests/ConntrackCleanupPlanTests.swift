import Backends
import ProxyTesting
import ServiceModel
import Testing

/// Which conntrack entries a sync makes stale, scenario by scenario, computed from real desired states.
@Suite("conntrack cleanup planning")
struct ConntrackCleanupPlanTests {
    static let nodeName = "node-a"
    static let nodeIP: IPAddress = "192.168.1.10"
    static let node = Fixtures.node(nodeName, addresses: ["192.168.1.10"], zone: "zone-a")

    func state(_ objects: [KubernetesObject], nodePortAddresses: [NodePortAddressSelector] = [.primary]) -> DesiredState {
        let configuration = ProxyConfiguration(
            nodeName: Self.nodeName, clusterCIDRs: ["10.244.0.0/16"], nodePortAddresses: nodePortAddresses)
        let snapshot = ClusterSnapshot([.node(Self.node)] + objects)
        let context = NodeContext(snapshot: snapshot, nodeName: Self.nodeName, localAddresses: [Self.nodeIP])
        return ProxyModel(configuration: configuration).desiredState(for: .ipv4, snapshot: snapshot, node: context).state
    }

    /// The plan of a partial sync from `before` to `after`.
    func plan(_ before: [KubernetesObject], _ after: [KubernetesObject], nodePortAddresses: [NodePortAddressSelector] = [.primary]) -> ConntrackCleanupPlan {
        let old = state(before, nodePortAddresses: nodePortAddresses)
        let new = state(after, nodePortAddresses: nodePortAddresses)
        return ConntrackCleanupPlan(changes: [DesiredStateDiff(from: old, to: new)], nodes: [.ipv4: new.node])
    }

    func dns(
        clusterIP: String = "10.96.0.10", type: String? = nil, ports: [Service.Port] = [.udp(53, name: "dns")],
        configure: (inout Service) -> Void = { _ in }
    ) -> KubernetesObject {
        .service(Fixtures.service("kube-system/dns", clusterIP: clusterIP, type: type, ports: ports, configure: configure))
    }

    func endpoints(_ endpoints: [EndpointSlice.Endpoint], protocol proto: String = "UDP") -> KubernetesObject {
        .endpointSlice(Fixtures.slice(
            "kube-system/dns-1", service: "dns", ports: [.init(name: "dns", protocol: proto, port: 5353)], endpoints: endpoints))
    }

    func udp(_ address: IPAddress?, _ port: UInt16, keep: [IPAddress]) -> ConntrackFilter {
        ConntrackFilter(family: .ipv4, protocol: .udp, destination: address, destinationPort: port, keptReplySources: keep)
    }

    // MARK: Endpoints

    @Test func aUDPServiceLosingAnEndpointClearsFlowsNotAnsweredByTheRemainingOnes() {
        let plan = plan(
            [dns(), endpoints([.ready("10.244.1.5"), .ready("10.244.2.6")])],
            [dns(), endpoints([.ready("10.244.2.6")])])
        #expect(plan.filters == [udp("10.96.0.10", 53, keep: ["10.244.2.6"])])
    }

    @Test func aUDPServiceLosingItsLastEndpointClearsEverythingSentToIt() {
        let plan = plan([dns(), endpoints([.ready("10.244.1.5")])], [dns(), endpoints([])])
        #expect(plan.filters == [udp("10.96.0.10", 53, keep: [])])
    }

    @Test func gainingAnEndpointLeavesExistingFlowsAlone() {
        let plan = plan(
            [dns(), endpoints([.ready("10.244.1.5")])],
            [dns(), endpoints([.ready("10.244.1.5"), .ready("10.244.2.6")])])
        #expect(plan.isEmpty)
    }

    @Test func aServiceGettingItsFirstEndpointClearsFlowsTrackedWhileItHadNone() {
        // Entries tracked while nothing answered were never DNATed: their reply "comes from" the Service IP.
        let plan = plan([dns(), endpoints([])], [dns(), endpoints([.ready("10.244.1.5")])])
        #expect(plan.filters == [udp("10.96.0.10", 53, keep: ["10.244.1.5"])])
    }

    @Test func aTerminatingEndpointThatStillServesKeepsItsFlows() {
        // New connections go to the ready endpoint only, but flows to the terminating one end on their own.
        let plan = plan(
            [dns(), endpoints([.ready("10.244.1.5"), .ready("10.244.2.6")])],
            [dns(), endpoints([.ready("10.244.1.5"), .servingTerminating("10.244.2.6")])])
        #expect(plan.isEmpty)
    }

    @Test func anEndpointThatStopsServingLosesItsFlows() {
        let plan = plan(
            [dns(), endpoints([.ready("10.244.1.5"), .ready("10.244.2.6")])],
            [dns(), endpoints([.ready("10.244.1.5"), .notReady("10.244.2.6")])])
        #expect(plan.filters == [udp("10.96.0.10", 53, keep: ["10.244.1.5"])])
    }

    @Test func aTCPServiceIsNeverCleaned() {
        let plan = plan(
            [dns(ports: [.tcp(53, name: "dns")]), endpoints([.ready("10.244.1.5")], protocol: "TCP")],
            [dns(ports: [.tcp(53, name: "dns")]), endpoints([], protocol: "TCP")])
        #expect(plan.isEmpty)
    }

    @Test func anSCTPServiceIsCleanedLikeUDP() {
        let plan = plan(
            [dns(ports: [.sctp(53, name: "dns")]), endpoints([.ready("10.244.1.5"), .ready("10.244.2.6")], protocol: "SCTP")],
            [dns(ports: [.sctp(53, name: "dns")]), endpoints([.ready("10.244.2.6")], protocol: "SCTP")])
        #expect(plan.filters == [
            ConntrackFilter(family: .ipv4, protocol: .sctp, destination: "10.96.0.10", destinationPort: 53, keptReplySources: ["10.244.2.6"])
        ])
    }

    // MARK: Mapping changes

    @Test func aChangedClusterIPClearsTheOldAddressEntirely() {
        let slice = endpoints([.ready("10.244.1.5")])
        let plan = plan([dns(clusterIP: "10.96.0.10"), slice], [dns(clusterIP: "10.96.0.11"), slice])
        #expect(plan.filters == [udp("10.96.0.10", 53, keep: []), udp("10.96.0.11", 53, keep: ["10.244.1.5"])])
    }

    @Test func aChangedServicePortClearsTheOldPort() {
        let slice = endpoints([.ready("10.244.1.5")])
        let plan = plan([dns(ports: [.udp(53, name: "dns")]), slice], [dns(ports: [.udp(54, name: "dns")]), slice])
        #expect(plan.filters == [udp("10.96.0.10", 53, keep: []), udp("10.96.0.10", 54, keep: ["10.244.1.5"])])
    }

    @Test func aNodePortLosingAnEndpointIsCleanedOnTheNodePortAddresses() {
        let service = dns(type: "NodePort", ports: [.udp(53, name: "dns", nodePort: 30053)])
        let plan = plan(
            [service, endpoints([.ready("10.244.1.5"), .ready("10.244.2.6")])],
            [service, endpoints([.ready("10.244.2.6")])])
        #expect(plan.filters == [udp("10.96.0.10", 53, keep: ["10.244.2.6"]), udp(Self.nodeIP, 30053, keep: ["10.244.2.6"])])
    }

    @Test func aNodePortServedOnEveryLocalAddressIsCleanedOnAnyAddress() {
        let service = dns(type: "NodePort", ports: [.udp(53, name: "dns", nodePort: 30053)])
        let plan = plan(
            [service, endpoints([.ready("10.244.1.5"), .ready("10.244.2.6")])],
            [service, endpoints([.ready("10.244.2.6")])], nodePortAddresses: [])
        #expect(plan.filters == [udp(nil, 30053, keep: ["10.244.2.6"]), udp("10.96.0.10", 53, keep: ["10.244.2.6"])])
    }

    @Test func aChangedNodePortClearsTheOldOne() {
        let slice = endpoints([.ready("10.244.1.5")])
        let plan = plan(
            [dns(type: "NodePort", ports: [.udp(53, name: "dns", nodePort: 30053)]), slice],
            [dns(type: "NodePort", ports: [.udp(53, name: "dns", nodePort: 30054)]), slice])
        #expect(plan.filters == [
            udp("10.96.0.10", 53, keep: ["10.244.1.5"]), udp(Self.nodeIP, 30053, keep: []), udp(Self.nodeIP, 30054, keep: ["10.244.1.5"]),
        ])
    }

    @Test func aRemovedLoadBalancerIPAndExternalIPAreClearedEntirely() {
        let slice = endpoints([.ready("10.244.1.5")])
        let before = dns(type: "LoadBalancer", ports: [.udp(53, name: "dns", nodePort: 30053)]) {
            $0.spec.externalIPs = ["198.51.100.7"]
            $0.status = Service.Status(loadBalancer: .init(ingress: [.init(ip: "203.0.113.7")]))
        }
        let after = dns(type: "LoadBalancer", ports: [.udp(53, name: "dns", nodePort: 30053)])
        let plan = plan([before, slice], [after, slice])
        #expect(plan.filters == [
            udp("10.96.0.10", 53, keep: ["10.244.1.5"]), udp(Self.nodeIP, 30053, keep: ["10.244.1.5"]),
            udp("198.51.100.7", 53, keep: []), udp("203.0.113.7", 53, keep: []),
        ])
    }

    @Test func aDeletedServiceIsClearedOnEveryDestination() {
        let service = dns(type: "NodePort", ports: [.udp(53, name: "dns", nodePort: 30053), .tcp(53, name: "dns-tcp")])
        let plan = plan([service, endpoints([.ready("10.244.1.5")])], [])
        #expect(plan.filters == [udp("10.96.0.10", 53, keep: []), udp(Self.nodeIP, 30053, keep: [])])
    }

    @Test func aClusterIPHandedToANewServiceKeepsTheNewServicesEndpoints() {
        let old = dns()
        let new = KubernetesObject.service(Fixtures.service("default/other", clusterIP: "10.96.0.10", ports: [.udp(53, name: "dns")]))
        let newSlice = KubernetesObject.endpointSlice(Fixtures.slice(
            "default/other-1", service: "other", ports: [.init(name: "dns", protocol: "UDP", port: 5353)], endpoints: [.ready("10.244.3.3")]))
        let plan = plan([old, endpoints([.ready("10.244.1.5")])], [new, newSlice])
        #expect(plan.filters == [udp("10.96.0.10", 53, keep: ["10.244.3.3"])])
    }

    // MARK: Full syncs

    @Test func aFullPlanCoversEveryUDPDestinationAndClearsWhatThePreviousStateHadBeyondIt() {
        let previous = state([dns(), endpoints([.ready("10.244.1.5")]),
            .service(Fixtures.service("default/gone", clusterIP: "10.96.0.20", ports: [.udp(123, name: "ntp")]))])
        let current = state([dns(), endpoints([.ready("10.244.1.5")]),
            .service(Fixtures.service("default/web", clusterIP: "10.96.0.30", ports: [.tcp(80)]))])
        let plan = ConntrackCleanupPlan(full: [current], previous: [previous])
        #expect(plan.filters == [udp("10.96.0.10", 53, keep: ["10.244.1.5"]), udp("10.96.0.20", 123, keep: [])])
    }

    @Test func destinationsOfAFailedSyncThatAFullSyncNoLongerHasAreCleared() {
        let failed = ConntrackCleanupPlan(filters: [udp("10.96.0.10", 53, keep: []), udp("10.96.0.99", 53, keep: ["10.244.9.9"])])
        let full = ConntrackCleanupPlan(filters: [udp("10.96.0.10", 53, keep: ["10.244.1.5"])])
        #expect(full.includingStaleDestinations(of: failed).filters == [
            udp("10.96.0.10", 53, keep: ["10.244.1.5"]), udp("10.96.0.99", 53, keep: []),
        ])
    }

    // MARK: Matching flows

    func flow(
        _ proto: TransportProtocol = .udp, to destination: IPAddress, _ port: UInt16, replyFrom endpoint: IPAddress
    ) -> ConntrackFlow {
        ConntrackFlow(
            family: .ipv4, protocolNumber: proto.protocolNumber,
            original: .init(source: "172.18.0.100", destination: destination, sourcePort: 40000, destinationPort: port),
            reply: .init(source: endpoint, destination: "172.18.0.100", sourcePort: 5353, destinationPort: 40000))
    }

    @Test func aFlowIsStaleOnlyWhenItsDestinationMatchesAndItsEndpointNoLongerServes() {
        let isStale = ConntrackCleanupPlan(filters: [udp("10.96.0.10", 53, keep: ["10.244.2.6"])]).staleFlowMatcher()
        #expect(isStale(flow(to: "10.96.0.10", 53, replyFrom: "10.244.1.5")))
        #expect(isStale(flow(to: "10.96.0.10", 53, replyFrom: "10.96.0.10")), "never DNATed")
        #expect(!isStale(flow(to: "10.96.0.10", 53, replyFrom: "10.244.2.6")), "still serving")
        #expect(!isStale(flow(to: "10.96.0.10", 54, replyFrom: "10.244.1.5")), "another port")
        #expect(!isStale(flow(to: "10.96.0.11", 53, replyFrom: "10.244.1.5")), "another address")
        #expect(!isStale(flow(.tcp, to: "10.96.0.10", 53, replyFrom: "10.244.1.5")), "TCP")
    }

    @Test func theFilterOfAnExactDestinationDecidesOverAPortOnAnyAddress() {
        // A NodePort on every address shares its number with another Service's ClusterIP port.
        let isStale = ConntrackCleanupPlan(filters: [
            udp(nil, 30053, keep: ["10.244.1.5"]), udp("10.96.0.40", 30053, keep: ["10.244.4.4"]),
        ]).staleFlowMatcher()
        #expect(!isStale(flow(to: "10.96.0.40", 30053, replyFrom: "10.244.4.4")))
        #expect(isStale(flow(to: "10.96.0.40", 30053, replyFrom: "10.244.1.5")))
        #expect(isStale(flow(to: Self.nodeIP, 30053, replyFrom: "10.244.4.4")))
        #expect(!isStale(flow(to: Self.nodeIP, 30053, replyFrom: "10.244.1.5")))
    }
}
