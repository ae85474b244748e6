import ServiceModel

/// One mode's renderer and driver, as `SyncEngine` drives them: what differs between nftables, iptables and IPVS,
/// and none of the bookkeeping they share (what is committed, partial or full, refused Service ports, failures).
///
/// Rendering (`full`, `partial`) is pure and deterministic; everything else goes through the driver, the only code
/// that touches the kernel.
public protocol KernelProgram: Sendable {
    /// What the kernel holds after a successful sync, for every served family: kept in memory so that partial
    /// syncs render only what changed.
    associatedtype Committed: Sendable
    /// One sync's input to the kernel, printable (the dry run, `/debug/rules`).
    associatedtype Transaction: KernelTransaction
    /// What the kernel holds when memory cannot be trusted, as the driver lists it (`iptables-save`, an IPVS
    /// dump); `Void` for a mode that never lists (nftables replaces its own tables whole).
    associatedtype Listing: Sendable

    /// The mode this program serves.
    static var mode: ProxyMode { get }

    /// What periodic syncs do, and how often a full sync is forced.
    static var resync: ResyncPolicy { get }

    /// Whether a partial sync the kernel refused fails the sync (the next one is full) instead of being answered at
    /// once with a full one. A partial sync that finds the kernel no longer holds what was committed (`stale`) is
    /// always answered at once.
    static var failsRefusedPartialSyncs: Bool { get }

    // MARK: Rendering (pure)

    /// A full transaction for `states`, from what is `committed` (trusted memory) or else `listed`; with neither, for
    /// a kernel that holds nothing of proxyd's (the dry run) or whose state is unknown.
    func full(_ states: [DesiredState], committed: Committed?, listed: Listing?) -> RenderedTransaction<Transaction, Committed>

    /// A partial transaction for `diffs` (no node settings changed, the same families as committed), updating
    /// `committed` in place to what it commits; nil, with `committed` untouched, when a partial sync cannot be
    /// trusted (a threshold crossed, other settings).
    ///
    /// - Important: The caller holds the only reference to `committed`, so that the update does not copy it.
    func partial(_ diffs: [DesiredStateDiff], states: [DesiredState], committed: inout Committed) -> (Transaction, warnings: [String])?

    // MARK: The driver

    /// Whether a full sync must list the kernel first: when it cannot trust `committed` (iptables), or always
    /// (IPVS).
    func listsBeforeFullSync(trusting committed: Committed?) -> Bool

    /// What the kernel holds of proxyd's, for `families` (and whatever an earlier process left).
    func list(_ families: [IPFamily]) async throws(BackendSyncError) -> Listing

    /// Applies `transaction`.
    func apply(_ transaction: Transaction) async throws(BackendSyncError)

    /// Whether `check` validates transactions as the kernel would (or as close as the tool allows); without it, a
    /// refused Service port cannot be isolated and a refused full sync fails whole.
    var canCheck: Bool { get }

    /// Validates `transaction` without committing anything.
    func check(_ transaction: Transaction) async throws(BackendSyncError)

    /// The periodic check: nil when the kernel still holds what was committed, else what is missing.
    func verify(_ committed: Committed) async -> BackendSyncError?

    // MARK: Maintenance

    /// How long after a sync work is due that needs no cluster change (IPVS drains); nil when none is.
    func maintenanceInterval(_ committed: Committed) -> Duration?

    /// Does that work, updating `committed`; nil when there was nothing to do.
    func maintain(_ committed: inout Committed) async throws(BackendSyncError) -> (Transaction, warnings: [String])?
}

extension KernelProgram {
    public static var failsRefusedPartialSyncs: Bool { false }

    public func maintenanceInterval(_ committed: Committed) -> Duration? { nil }

    public func maintain(_ committed: inout Committed) async throws(BackendSyncError) -> (Transaction, warnings: [String])? {
        nil
    }
}

extension KernelProgram where Listing == Void {
    public func listsBeforeFullSync(trusting committed: Committed?) -> Bool { false }

    public func list(_ families: [IPFamily]) async throws(BackendSyncError) {}
}

/// A transaction of any mode: the text it prints as, and whether it has anything to apply.
public protocol KernelTransaction: Sendable {
    /// Exactly what the driver sends, as the dry run prints it.
    var text: String { get }
    /// True when there is nothing to apply.
    var isEmpty: Bool { get }
}

/// A rendered transaction, the committed state it leads to, and what the renderer warns about.
public struct RenderedTransaction<Transaction: KernelTransaction, Committed: Sendable>: Sendable {
    public var transaction: Transaction
    public var committed: Committed
    public var warnings: [String]

    public init(transaction: Transaction, committed: Committed, warnings: [String]) {
        self.transaction = transaction
        self.committed = committed
        self.warnings = warnings
    }
}
