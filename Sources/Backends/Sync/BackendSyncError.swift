/// A sync that did not bring the kernel to the desired state: what kind of failure, the message (the tool's or the
/// kernel's, with the line when it named one), and the transaction that failed.
public struct BackendSyncError: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable {
        /// The kernel (or the tool in front of it) refused the transaction; nothing of it was applied.
        case refused
        /// The kernel no longer holds what proxyd committed — someone flushed or deleted its tables or hooks; nothing
        /// was applied. A full sync from what the kernel holds repairs it.
        case stale
        /// No transactions (IPVS): some operations were applied, others refused; the kernel is between states
        /// until a full sync.
        case partiallyApplied
        /// What the backend needs is missing: a tool, a kernel feature, a permission (CAP_NET_ADMIN).
        case unavailable
        /// Anything else: a command that could not run, a lock that was not released in time.
        case failed
    }

    public var code: Code
    public var message: String
    /// The same in one line, without positions and quoted input (`Could not process rule: File exists`), for
    /// warnings about one Service port.
    public var summary: String
    public var transaction: String

    public init(_ code: Code, message: String, summary: String? = nil, transaction: String = "") {
        self.code = code
        self.message = message
        self.summary = summary ?? message.split(separator: "\n").first.map(String.init) ?? message
        self.transaction = transaction
    }

    public var description: String { message }
}
