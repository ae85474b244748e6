import Backends
import ProxyTesting
import ServiceModel
import Testing

/// Stale UDP conntrack entries, made by real UDP through proxyd's real DNAT rules, deleted over ctnetlink.
@Suite("conntrack reconciler against the kernel", .requiresRoot)
struct ConntrackReconcilerTests {
    static let configuration = ProxyConfiguration(
        nodeName: ServiceScenario.nodeName, clusterCIDRs: [LabTopology.clusterCIDRIPv4, LabTopology.clusterCIDRIPv6])

    func state(_ objects: [KubernetesObject], _ family: IPFamily) -> DesiredState {
        let snapshot = ClusterSnapshot(objects)
        let node = NodeContext(snapshot: snapshot, nodeName: ServiceScenario.nodeName, localAddresses: [])
        return ProxyModel(configuration: Self.configuration).desiredState(for: family, snapshot: snapshot, node: node).state
    }

    /// A UDP ClusterIP + NodePort Service and a TCP port of the same Service, endpoints on the named pods.
    func objects(_ a: ScenarioAddresses, endpoints: [String]) -> [KubernetesObject] {
        a.nodes + [
            a.service("dns", clusterIP: 20, type: "NodePort", ports: [.udp(53, name: "dns", nodePort: 30089), .tcp(53, name: "dns-tcp", nodePort: 30090)]),
            a.slice("dns", ready: endpoints, ports: [
                .init(name: "dns", protocol: "UDP", port: 8080), .init(name: "dns-tcp", protocol: "TCP", port: 8080),
            ]),
        ]
    }

    /// `manyFilters` pads the plan beyond `perDestinationDumpLimit`, so the reconciler takes its one-dump path.
    @Test(arguments: IPFamily.allCases, [false, true])
    func removingAnEndpointDeletesItsUDPEntriesAndNothingElse(family: IPFamily, manyFilters: Bool) async throws {
        let a = ScenarioAddresses(family)
        let clusterIP = a.ip(a.clusterIP(20))
        try await NetworkLab.with(ServiceScenario.labSpec) { lab in
            for pod in lab.pods { try await lab.serve(in: pod, tcp: [8080], udp: [8080]) }

            // Flows to web-1 while it is the only endpoint: UDP to the ClusterIP and the NodePort, and TCP.
            _ = try await ProxydInLab.once(lab, objects: objects(a, endpoints: ["web-1"]))
            let toWeb1 = [
                try await lab.connectAttempts(from: lab.client, to: clusterIP, port: 53, proto: .udp)[0],
                try await lab.connectAttempts(from: lab.client, to: a.node, port: 30089, proto: .udp)[0],
                try await lab.connectAttempts(from: lab.client, to: clusterIP, port: 53, proto: .tcp)[0],
            ]
            #expect(toWeb1.map(\.outcome.replyName) == ["web-1", "web-1", "web-1"])
            // Then web-2 joins and web-1 leaves; a new UDP flow goes to web-2.
            _ = try await ProxydInLab.once(lab, objects: objects(a, endpoints: ["web-2"]))
            let toWeb2 = try await lab.connectAttempts(from: lab.client, to: clusterIP, port: 53, proto: .udp)[0]
            #expect(toWeb2.outcome.replyName == "web-2")

            let before = try await lab.conntrackEntries(in: lab.node)
            let web1 = IPSocketAddress(ip: a.pod("web-1"), port: 8080)
            #expect(before.filter { $0.endpoint == web1 && $0.protocolName == "udp" }.count == 2, "\(before)")

            // The sync that removed web-1 (from both endpoints to web-2 alone) plans the cleanup.
            let old = state(objects(a, endpoints: ["web-1", "web-2"]), family)
            let new = state(objects(a, endpoints: ["web-2"]), family)
            var plan = ConntrackCleanupPlan(changes: [DesiredStateDiff(from: old, to: new)], nodes: [family: new.node])
            #expect(plan.filters.count == 2, "ClusterIP and NodePort on the node IP: \(plan)")
            if manyFilters {
                let padding = (30...40).map { n in
                    ConntrackFilter(family: family, protocol: .udp, destination: a.ip(a.clusterIP(n)), destinationPort: 53)
                }
                plan = plan.merging(ConntrackCleanupPlan(filters: padding))
                #expect(plan.filters.count > ConntrackReconciler.perDestinationDumpLimit)
            }
            let reconciler = try await ConntrackReconciler(networkNamespace: "/run/netns/\(lab.node.namespace)")
            let deleted = try await reconciler.reconcile(plan)
            #expect(deleted == 2)

            let after = try await lab.conntrackEntries(in: lab.node)
            #expect(!after.contains { $0.endpoint == web1 && $0.protocolName == "udp" }, "stale UDP entries remain: \(after)")
            let stillThere = { (attempt: ConnectionAttempt) in after.contains { $0.original.sourceAddress == attempt.local } }
            #expect(stillThere(toWeb2), "the flow to the still-serving endpoint was deleted: \(after)")
            #expect(stillThere(toWeb1[2]), "the TCP entry was deleted: \(after)")
            // Nothing else went: exactly the two stale entries are gone.
            #expect(after.count == before.count - 2, "before: \(before)\nafter: \(after)")

            // Running the same plan again finds nothing left to delete.
            #expect(try await reconciler.reconcile(plan) == 0)
        }
    }
}
