import Foundation
import ServiceModel

/// What the sync runner reports to the daemon (metrics, health, health-check servers) as it runs.
public enum SyncRunnerEvent: Sendable {
    /// Changes arrived that the kernel does not have yet (with the changes pending so far).
    case queued(Date, endpointChanges: Int, serviceChanges: Int)
    case synced(SyncReport)
    /// The node's Node object changed (deletion, taints): health reporting follows it.
    case node(Node?)
}
