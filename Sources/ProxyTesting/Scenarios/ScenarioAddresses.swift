import ServiceModel

/// The addresses scenarios are written with, for one family: the lab's fixed hosts plus Service addresses.
public struct ScenarioAddresses: Sendable {
    public let family: IPFamily

    public init(_ family: IPFamily) { self.family = family }

    private var v4: Bool { family == .ipv4 }

    public var node: IPAddress { LabTopology.nodeNetworkAddress(host: 2, family) }
    public var nodeSecondary: IPAddress { v4 ? LabTopology.nodeSecondaryIPv4 : LabTopology.nodeSecondaryIPv6 }
    public var client: IPAddress { LabTopology.nodeNetworkAddress(host: 100, family) }
    public var remoteNode: IPAddress { LabTopology.nodeNetworkAddress(host: 3, family) }

    /// Pods by name as `ServiceScenario.labSpec` creates them.
    public func pod(_ name: String) -> IPAddress {
        switch name {
        case "web-1": LabTopology.podAddress(node: 0, index: 1, family)
        case "web-2": LabTopology.podAddress(node: 0, index: 2, family)
        case "web-r": LabTopology.podAddress(node: 1, index: 1, family)
        default: preconditionFailure("no pod \(name) in the scenario lab")
        }
    }

    public func clusterIP(_ n: Int) -> String { v4 ? "10.96.0.\(n)" : "fd00:10:96::\(n)" }
    public func loadBalancerIP(_ n: Int) -> String { v4 ? "203.0.113.\(n)" : "2001:db8:203::\(n)" }
    public func externalIP(_ n: Int) -> String { v4 ? "198.51.100.\(n)" : "2001:db8:198::\(n)" }
    /// A source range holding exactly the client.
    public var clientRange: String { v4 ? "172.18.0.100/32" : "fd00:172:18::100/128" }
    /// A source range holding neither the client nor the node.
    public var otherRange: String { v4 ? "192.0.2.0/24" : "2001:db8:2::/64" }
    /// The node network, holding the client and the node.
    public var nodeNetwork: String { v4 ? "172.18.0.0/24" : "fd00:172:18::/64" }
    public var addressType: String { family.rawValue }

    public func ip(_ text: String) -> IPAddress { IPAddress(text)! }

    /// The Node objects of the lab (this node and the remote one).
    public var nodes: [KubernetesObject] {
        [
            .node(Fixtures.node(ServiceScenario.nodeName, addresses: [LabTopology.nodeNetworkAddress(host: 2, .ipv4).description, LabTopology.nodeNetworkAddress(host: 2, .ipv6).description])),
            .node(Fixtures.node(ServiceScenario.remoteNodeName, addresses: [LabTopology.nodeNetworkAddress(host: 3, .ipv4).description, LabTopology.nodeNetworkAddress(host: 3, .ipv6).description])),
        ]
    }

    /// A Service of this family.
    public func service(
        _ name: String, clusterIP n: Int, type: String? = nil, ports: [Service.Port] = [.tcp(80, name: "http")],
        configure: (inout Service) -> Void = { _ in }
    ) -> KubernetesObject {
        .service(Fixtures.service("default/\(name)", clusterIP: clusterIP(n), type: type, ports: ports) {
            $0.spec.ipFamilies = [family.rawValue]
            configure(&$0)
        })
    }

    /// The EndpointSlice of `service` with the named pods as endpoints (on the node they run on).
    public func slice(
        _ service: String, pods: [(String, EndpointSlice.Conditions?)], ports: [EndpointSlice.Port] = [.init(name: "http", protocol: "TCP", port: 8080)]
    ) -> KubernetesObject {
        let endpoints = pods.map { name, conditions in
            EndpointSlice.Endpoint(
                addresses: [pod(name).description], conditions: conditions,
                nodeName: name == "web-r" ? ServiceScenario.remoteNodeName : ServiceScenario.nodeName)
        }
        return .endpointSlice(Fixtures.slice("default/\(service)-\(family.rawValue.lowercased())", service: service, addressType: addressType, ports: ports, endpoints: endpoints))
    }

    /// Ready endpoints on the named pods.
    public func slice(_ service: String, ready pods: [String], ports: [EndpointSlice.Port] = [.init(name: "http", protocol: "TCP", port: 8080)]) -> KubernetesObject {
        slice(service, pods: pods.map { ($0, nil) }, ports: ports)
    }
}
