import ServiceModel

/// What the runner asks of a sync.
public enum SyncRequest: Sendable, Hashable {
    /// Replace everything proxyd programs: at start, after a failure, when the node's settings or the served
    /// families changed, and when the backend's full-resync period has passed.
    case full
    /// Apply what changed since the last successful sync: one diff per family, as `ProxyModel.update` returns
    /// them. The backend syncs in full instead when it cannot trust what it committed.
    case changes([DesiredStateDiff])
    /// Nothing changed for a sync period: check that the kernel still holds what was committed (cheaply, as
    /// `ResyncPolicy.periodic` says), and sync in full when it does not.
    case verify
}
