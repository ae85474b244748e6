import Backends
import ProxyTesting
import ServiceModel

/// Real connections through virtual servers that the planner and driver programmed, in a network-namespace lab
/// inside the VM (`docs/testing-lab.md`): a client outside the node, pods behind it.
///
/// The scenario table, drains and restarts run through IPVS mode whole in `IPVSProgramChecks`.
enum IPVSTrafficChecks {
    static let all = [connections]

    static func clusterIP(_ family: IPFamily, _ host: UInt8) -> IPAddress {
        family == .ipv4 ? IPAddress("10.96.0.\(host)")! : IPAddress("fd00:10:96::\(host)")!
    }

    /// A Service port of the lab's pods (`default/<name>`), all endpoints on this node.
    static func port(
        _ name: String, _ lab: NetworkLab, _ family: IPFamily, clusterIP host: UInt8, pods: [String], targetPort: UInt16,
        nodePort: UInt16? = nil, affinity: SessionAffinity = .none
    ) throws -> ServicePort {
        let endpoints = try pods.map { ServiceEndpoint(address: try lab.pod($0).address(family), port: targetPort, isLocal: true) }.sorted()
        let key = ObjectKey(namespace: "default", name: name)
        return ServicePort(
            name: ServicePortName(service: key, port: "", protocol: .tcp), clusterIP: clusterIP(family, host), port: 80,
            nodePort: nodePort, sessionAffinity: affinity, clusterEndpoints: endpoints, localEndpoints: endpoints,
            hasAnyEndpoints: !endpoints.isEmpty)
    }

    static func state(_ ports: [ServicePort], _ lab: NetworkLab, _ family: IPFamily) -> DesiredState {
        DesiredState(
            family: family,
            node: .init(nodeIPs: [lab.node.address(family)], nodePortAddresses: .addresses([lab.node.address(family)])),
            services: Dictionary(grouping: ports, by: \.name.service))
    }

    static func planner(_ lab: NetworkLab, _ family: IPFamily) -> IPVSPlanner {
        IPVSPlanner(family: family, settings: IPVSSettings(), nodePortAddresses: .addresses([lab.node.address(family)]), localAddresses: lab.node.addresses)
    }

    static let connections = VMCheck(
        "connections from outside reach the pods through ClusterIP and NodePort virtual servers; ClientIP affinity sticks",
        timeout: .seconds(240)
    ) { check in
        try await NetworkLab.with(LabSpec(pods: ["web-1", "web-2"])) { lab in
            for pod in lab.pods { try await lab.serve(in: pod, tcp: [8080]) }
            let driver = try await IPVSDriver(networkNamespace: "/run/netns/\(lab.node.namespace)")
            for family in IPFamily.allCases {
                let ports = [
                    try port("web", lab, family, clusterIP: 10, pods: ["web-1", "web-2"], targetPort: 8080, nodePort: 30080),
                    try port("sticky", lab, family, clusterIP: 11, pods: ["web-1", "web-2"], targetPort: 8080, affinity: .clientIP(timeoutSeconds: 600)),
                ]
                let plan = planner(lab, family).plan(state(ports, lab, family), kernel: try await driver.kernelState(family: family))
                try await driver.apply(plan.operations)

                let spread = try await lab.connectAttempts(from: lab.client, to: clusterIP(family, 10), port: 80, count: 12)
                check.expect(Set(spread.compactMap(\.outcome.replyName)) == ["web-1", "web-2"], "\(family) ClusterIP, round robin: \(spread)")
                // IPVS NAT rewrites the destination only: the pod sees the client.
                check.expect(spread.allSatisfy { $0.outcome.peer?.ip == lab.client.address(family) }, "\(family): \(spread)")

                let nodePort = try await lab.connectAttempts(from: lab.client, to: lab.node.address(family), port: 30080, count: 4)
                check.expect(nodePort.allSatisfy { $0.outcome.replyName != nil }, "\(family) NodePort: \(nodePort)")

                let sticky = try await lab.connectAttempts(from: lab.client, to: clusterIP(family, 11), port: 80, count: 8)
                let answered = Set(sticky.compactMap(\.outcome.replyName))
                check.expect(answered.count == 1 && sticky.allSatisfy { $0.outcome.replyName != nil }, "\(family) ClientIP affinity: \(sticky)")
            }
            let listing = try await Ipvsadm.list(in: lab)
            check.note("ipvsadm -Ln in the lab node:\n" + listing.joined(separator: "\n"))
            check.expect(listing.contains("TCP 10.96.0.10:80 rr"), "the scheduler in ipvsadm -Ln: \(listing)")
            check.expect(listing.contains("TCP 10.96.0.11:80 rr persistent 600"), "persistence in ipvsadm -Ln: \(listing)")
            check.expect(listing.contains("TCP [fd00:10:96::11]:80 rr persistent 600"), "\(listing)")
        }
    }
}
