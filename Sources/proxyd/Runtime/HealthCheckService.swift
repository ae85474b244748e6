import ServiceModel

/// One health-check node port to serve: an externalTrafficPolicy Local LoadBalancer Service and how many
/// ready endpoints it has on this node.
struct HealthCheckService: Sendable, Hashable {
    var service: ObjectKey
    var port: UInt16
    var localEndpoints: Int
}
