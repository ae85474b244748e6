import ServiceModel

/// Builders for the objects tests feed the model: short to write, complete enough to be realistic.
///
/// Keys are written `namespace/name`. Everything not given takes the API server's default.
public enum Fixtures {
    /// A Service with a ClusterIP (or `None`) and ports; `configure` adjusts anything else.
    public static func service(
        _ key: String, clusterIP: String = "10.96.0.10", type: String? = nil, ports: [Service.Port] = [.tcp(80)],
        configure: (inout Service) -> Void = { _ in }
    ) -> Service {
        let (namespace, name) = split(key)
        var service = Service(metadata: ObjectMeta(name: name, namespace: namespace))
        service.spec.type = type
        service.spec.clusterIP = clusterIP
        service.spec.clusterIPs = clusterIP == "None" || clusterIP.isEmpty ? nil : [clusterIP]
        service.spec.ports = ports
        configure(&service)
        return service
    }

    /// An EndpointSlice of the Service `service` (same namespace as `key`).
    public static func slice(
        _ key: String, service: String, addressType: String = "IPv4", ports: [EndpointSlice.Port] = [.init(port: 8080)],
        endpoints: [EndpointSlice.Endpoint]
    ) -> EndpointSlice {
        let (namespace, name) = split(key)
        return EndpointSlice(
            metadata: ObjectMeta(name: name, namespace: namespace, labels: [EndpointSlice.serviceNameLabel: service]),
            addressType: addressType, endpoints: endpoints, ports: ports)
    }

    /// A Node with addresses (InternalIP unless `type:address` is written), zone and pod CIDRs.
    public static func node(
        _ name: String, addresses: [String] = ["192.168.1.10"], zone: String? = nil, podCIDRs: [String] = []
    ) -> Node {
        let nodeAddresses = addresses.map { text -> Node.Address in
            if let colon = text.firstIndex(of: ":"), text[..<colon].hasSuffix("IP") {
                return Node.Address(type: String(text[..<colon]), address: String(text[text.index(after: colon)...]))
            }
            return Node.Address(type: "InternalIP", address: text)
        }
        return Node(
            metadata: ObjectMeta(name: name, labels: zone.map { [Node.zoneLabel: $0] }),
            spec: Node.Spec(podCIDRs: podCIDRs.isEmpty ? nil : podCIDRs),
            status: Node.Status(addresses: nodeAddresses))
    }

    static func split(_ key: String) -> (String, String) {
        guard let slash = key.firstIndex(of: "/") else { return ("default", key) }
        return (String(key[..<slash]), String(key[key.index(after: slash)...]))
    }
}

extension Service.Port {
    public static func tcp(_ port: Int, name: String? = nil, nodePort: Int? = nil) -> Service.Port {
        Service.Port(name: name, protocol: "TCP", port: port, nodePort: nodePort)
    }

    public static func udp(_ port: Int, name: String? = nil, nodePort: Int? = nil) -> Service.Port {
        Service.Port(name: name, protocol: "UDP", port: port, nodePort: nodePort)
    }

    public static func sctp(_ port: Int, name: String? = nil, nodePort: Int? = nil) -> Service.Port {
        Service.Port(name: name, protocol: "SCTP", port: port, nodePort: nodePort)
    }
}

extension EndpointSlice.Endpoint {
    /// A ready endpoint (conditions left unset, which means ready and serving).
    public static func ready(_ address: String, node: String? = nil, zoneHints: [String]? = nil, nodeHints: [String]? = nil) -> Self {
        EndpointSlice.Endpoint(
            addresses: [address], nodeName: node,
            hints: zoneHints == nil && nodeHints == nil ? nil : .init(forZones: zoneHints, forNodes: nodeHints))
    }

    /// A terminating endpoint that still serves (used only when nothing ready remains).
    public static func servingTerminating(_ address: String, node: String? = nil) -> Self {
        EndpointSlice.Endpoint(
            addresses: [address], conditions: .init(ready: false, serving: true, terminating: true), nodeName: node)
    }

    /// An endpoint that is neither ready nor serving.
    public static func notReady(_ address: String, node: String? = nil) -> Self {
        EndpointSlice.Endpoint(addresses: [address], conditions: .init(ready: false, serving: false), nodeName: node)
    }
}

extension ClusterSnapshot {
    /// A synced snapshot of the given objects.
    public static func of(services: [Service] = [], slices: [EndpointSlice] = [], nodes: [Node] = []) -> ClusterSnapshot {
        var snapshot = ClusterSnapshot(
            services.map(KubernetesObject.service) + slices.map(KubernetesObject.endpointSlice) + nodes.map(KubernetesObject.node))
        snapshot.apply(.synced)
        return snapshot
    }
}
