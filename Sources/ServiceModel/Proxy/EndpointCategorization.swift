/// Splits a Service port's endpoints into the ones each traffic policy may use (upstream's
/// `CategorizeEndpoints`).
///
/// - Cluster endpoints: ready endpoints, filtered by topology hints; if none is ready anywhere, the serving
///   terminating ones.
/// - Local endpoints: ready endpoints on this node, else serving terminating ones on this node.
/// - Topology: same-node when every ready endpoint has a `forNodes` hint and one names this node; otherwise
///   same-zone when every ready endpoint has a `forZones` hint and one names this node's zone; otherwise none.
public struct EndpointCategorization: Sendable, Hashable {
    public var clusterEndpoints: [ServiceEndpoint] = []
    public var localEndpoints: [ServiceEndpoint] = []
    public var topologyMode: TopologyMode?
    public var hasAnyEndpoints = false

    public init(
        endpoints: [ServiceEndpoint], usesClusterEndpoints: Bool, usesLocalEndpoints: Bool, nodeName: String,
        zone: String?
    ) {
        guard !endpoints.isEmpty else { return }
        if usesClusterEndpoints {
            let mode = Self.topologyMode(endpoints, nodeName: nodeName, zone: zone)
            topologyMode = mode
            clusterEndpoints = endpoints.filter { $0.isReady && Self.isAvailable($0, mode, nodeName, zone) }
            if clusterEndpoints.isEmpty {
                clusterEndpoints = endpoints.filter(\.isServingTerminating)
            }
            hasAnyEndpoints = !clusterEndpoints.isEmpty
        }
        guard usesLocalEndpoints else { return }
        var hasLocalReady = false
        var hasLocalServingTerminating = false
        for endpoint in endpoints {
            if endpoint.isReady {
                hasAnyEndpoints = true
                hasLocalReady = hasLocalReady || endpoint.isLocal
            } else if endpoint.isServingTerminating {
                hasAnyEndpoints = true
                hasLocalServingTerminating = hasLocalServingTerminating || endpoint.isLocal
            }
        }
        if hasLocalReady {
            localEndpoints = endpoints.filter { $0.isLocal && $0.isReady }
        } else if hasLocalServingTerminating {
            localEndpoints = endpoints.filter { $0.isLocal && $0.isServingTerminating }
        }
    }

    static func topologyMode(_ endpoints: [ServiceEndpoint], nodeName: String, zone: String?) -> TopologyMode? {
        var hasReady = false
        var allHaveNodeHints = true
        var hasEndpointForNode = false
        var allHaveZoneHints = true
        var hasEndpointForZone = false
        for endpoint in endpoints where endpoint.isReady {
            hasReady = true
            if endpoint.nodeHints.isEmpty {
                allHaveNodeHints = false
            } else if endpoint.nodeHints.contains(nodeName) {
                hasEndpointForNode = true
            }
            if endpoint.zoneHints.isEmpty {
                allHaveZoneHints = false
            } else if let zone, endpoint.zoneHints.contains(zone) {
                hasEndpointForZone = true
            }
        }
        guard hasReady else { return nil }
        if allHaveNodeHints && hasEndpointForNode { return .preferSameNode }
        if allHaveZoneHints && hasEndpointForZone { return .preferSameZone }
        return nil
    }

    static func isAvailable(_ endpoint: ServiceEndpoint, _ mode: TopologyMode?, _ nodeName: String, _ zone: String?) -> Bool {
        switch mode {
        case nil: true
        case .preferSameNode: endpoint.nodeHints.contains(nodeName)
        case .preferSameZone: zone.map { endpoint.zoneHints.contains($0) } ?? false
        }
    }
}
