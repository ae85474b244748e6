import Foundation
import ServiceModel

/// What one sync did, for logs, metrics, `/healthz` and `/debug/rules`.
public struct SyncReport: Sendable {
    public enum Outcome: Sendable {
        case applied
        /// Nothing differed from what is committed: nothing was sent.
        case unchanged
        /// The kernel refused; nothing was applied and the next sync is full.
        case failed(message: String)
    }

    public var isFull: Bool
    public var outcome: Outcome
    /// The families served by this sync.
    public var families: [IPFamily]
    public var startedAt: Date
    public var duration: Duration
    /// Services with at least one port served on this node, over all families.
    public var services: Int
    /// Service ports and endpoints over all families (counts only: reports must not keep states alive, or the
    /// runner's in-place updates would copy them).
    public var servicePorts: Int
    public var endpoints: Int
    /// Per family and traffic policy, Service ports that drop traffic for want of a local endpoint.
    public var noLocalEndpoints: [IPFamily: (internal: Int, external: Int)]
    /// The transaction sent (or refused).
    public var transaction: String
    /// Services whose objects changed since the previous sync.
    public var changedServices: Int
    /// EndpointSlice changes and Service changes consumed by this sync.
    public var endpointChanges: Int
    public var serviceChanges: Int
    /// From each changed EndpointSlice's `last-change-trigger-time` to the end of this sync.
    public var networkProgrammingLatencies: [(family: IPFamily, latency: Duration)]
    public var warnings: [String]
    /// Per family, the Service ports left out because the kernel refused their rules.
    public var refusedServicePorts: [IPFamily: Int] = [:]
    /// The health-check node ports to serve after this sync, and the hosts they listen on.
    public var healthCheckServices: [HealthCheckService] = []
    public var healthCheckHosts: [String] = []
    /// The stale UDP/SCTP conntrack entries deleted after this sync; nil when there was nothing to clean.
    public var conntrackCleanup: ConntrackCleanupReport?

    public var succeeded: Bool {
        if case .failed = outcome { return false }
        return true
    }
}
