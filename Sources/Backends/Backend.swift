import ServiceModel

/// A way of programming the kernel with desired states: one per `ProxyMode`.
///
/// Every backend of proxyd is a `SyncEngine` over its mode's `KernelProgram` (renderer and driver): the engine does
/// the bookkeeping they share (what is committed, partial or full, refused Service ports). A backend that needs
/// something else implements this protocol itself.
///
/// - Important: `sync` either brings the kernel to `states` or throws; a backend with transactions leaves nothing
///   half-applied, one without (IPVS) reports `partiallyApplied` so that the next sync is full.
public protocol Backend: Actor {
    /// The mode this backend programs (`/proxyMode`, logs, metrics).
    nonisolated var mode: ProxyMode { get }

    /// What the runner's periodic syncs ask of this backend and how often a full sync is forced.
    nonisolated var resync: ResyncPolicy { get }

    /// Brings the kernel to `states` (one per served family), as `request` asks.
    func sync(_ states: [DesiredState], _ request: SyncRequest) async throws(BackendSyncError) -> SyncResult

    /// How long after the last sync work is due that needs no cluster change (IPVS: deleting drained real
    /// servers once idle); nil when none is.
    var maintenanceInterval: Duration? { get }

    /// Does that work; nil when there was nothing to do.
    func maintain() async throws(BackendSyncError) -> SyncResult?
}

extension Backend {
    public var maintenanceInterval: Duration? { nil }

    public func maintain() async throws(BackendSyncError) -> SyncResult? { nil }
}
