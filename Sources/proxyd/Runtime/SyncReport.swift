import Foundation
import ServiceModel

/// What one sync did, for logs, metrics, `/healthz` and `/debug/rules`.
struct SyncReport: Sendable {
    enum Outcome: Sendable {
        case applied
        /// Nothing differed from what is committed: nothing was sent.
        case unchanged
        /// The kernel refused; nothing was applied and the next sync is full.
        case failed(message: String)
    }

    var isFull: Bool
    var outcome: Outcome
    /// The families served by this sync.
    var families: [IPFamily]
    var startedAt: Date
    var duration: Duration
    /// Services with at least one port served on this node, over all families.
    var services: Int
    /// Service ports and endpoints over all families (counts only: reports must not keep states alive, or the
    /// runner's in-place updates would copy them).
    var servicePorts: Int
    var endpoints: Int
    /// Per family and traffic policy, Service ports that drop traffic for want of a local endpoint.
    var noLocalEndpoints: [IPFamily: (internal: Int, external: Int)]
    /// The transaction sent (or refused).
    var transaction: String
    /// Services whose objects changed since the previous sync.
    var changedServices: Int
    /// EndpointSlice changes and Service changes consumed by this sync.
    var endpointChanges: Int
    var serviceChanges: Int
    /// From each changed EndpointSlice's `last-change-trigger-time` to the end of this sync.
    var networkProgrammingLatencies: [(family: IPFamily, latency: Duration)]
    var warnings: [String]
    /// Per family, the Service ports left out because the kernel refused their rules.
    var refusedServicePorts: [IPFamily: Int] = [:]
    /// The health-check node ports to serve after this sync, and the hosts they listen on.
    var healthCheckServices: [HealthCheckService] = []
    var healthCheckHosts: [String] = []
    /// The stale UDP/SCTP conntrack entries deleted after this sync; nil when there was nothing to clean.
    var conntrackCleanup: ConntrackCleanupReport?

    var succeeded: Bool {
        if case .failed = outcome { return false }
        return true
    }
}
