import ServiceModel

// Stand-ins for issue 10's `KernelProgram` vocabulary (Sources/Backends/Sync on the `runtime` branch), so that
// `IPVSProgram` has its exact shape before the protocol reaches main. Delete this file when it does: the names and
// initializers below are the real ones', so nothing else changes.

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

/// What kind of failure a sync error is (issue 10's `BackendSyncError.Code`; main's error has no code yet).
public enum BackendSyncErrorCode: String, Sendable, Hashable {
    case refused, stale, partiallyApplied, unavailable, failed
}

extension BackendSyncError {
    /// Issue 10's initializer; the code is dropped until the error carries one.
    init(_ code: BackendSyncErrorCode, message: String, summary: String? = nil, transaction: String = "") {
        self.init(message: message, transaction: transaction)
    }
}
