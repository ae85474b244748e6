import ServiceModel

/// A way of programming the kernel with desired states: nftables, iptables or IPVS.
///
/// - Important: `sync` either brings the kernel to `states` or throws with nothing half-applied (or, for
///   backends without transactions, with the failure reported so that the next sync is a full one).
public protocol Backend: Actor {
    /// The mode name as kube-proxy's `/proxyMode` reports it.
    nonisolated var mode: String { get }

    /// Brings the kernel to `states` (one per served family). `changes` are the differences since the last
    /// successful sync (one per family, as `ProxyModel.update` returns them); with nil, or `forceFull`, or
    /// whenever the backend cannot trust what it committed, everything is replaced.
    func sync(_ states: [DesiredState], changes: [DesiredStateDiff]?, forceFull: Bool) async throws(BackendSyncError) -> SyncResult

    /// Removes everything this backend may have installed; succeeds when there was nothing.
    func cleanup() async throws(BackendSyncError)
}

/// What one sync did.
public struct SyncResult: Sendable {
    public var isFull: Bool
    /// The exact text sent to the kernel (empty when nothing changed).
    public var transaction: String
    /// Conflicts the backend resolved (two Services claiming one address and port).
    public var warnings: [String]

    public init(isFull: Bool, transaction: String, warnings: [String]) {
        self.isFull = isFull
        self.transaction = transaction
        self.warnings = warnings
    }
}

/// A sync the kernel refused: the message (nft's, with the line), and the transaction that failed.
public struct BackendSyncError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var transaction: String

    public init(message: String, transaction: String) {
        self.message = message
        self.transaction = transaction
    }

    public var description: String { message }
}
