/// How a backend keeps the kernel honest beyond applying changes: what the runner's periodic sync (after a sync
/// period without changes) does, and how old the last full sync may get before one is forced, also while changes
/// keep coming.
public struct ResyncPolicy: Sendable, Hashable {
    /// What a periodic sync does.
    public enum Periodic: Sendable, Hashable {
        /// A cheap check that what was committed is still there (`SyncRequest.verify`): the tables exist and hold
        /// proxyd's hooks (nftables), the canary rules are there (iptables). A failed check makes it a full sync.
        case verify
        /// A full sync every time (IPVS, which plans from the kernel's listing anyway).
        case full
    }

    public var periodic: Periodic
    /// A sync is full when the last full one started longer ago than this.
    public var fullSyncPeriod: Duration

    public init(periodic: Periodic, fullSyncPeriod: Duration) {
        self.periodic = periodic
        self.fullSyncPeriod = fullSyncPeriod
    }

    /// kube-proxy's `FullSyncPeriod` for its iptables and nftables modes: a full sync at least hourly.
    public static let kubeProxyFullSyncPeriod: Duration = .seconds(3600)
}
