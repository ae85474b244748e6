import ServiceModel

/// One health-check node port to serve: an externalTrafficPolicy Local LoadBalancer Service and how many
/// ready endpoints it has on this node.
public struct HealthCheckService: Sendable, Hashable {
    public var service: ObjectKey
    public var port: UInt16
    public var localEndpoints: Int
}
