/// A conntrack operation that failed, with how far it got.
public struct ConntrackError: Error, Sendable, CustomStringConvertible {
    /// What failed, in words, with the kernel's reason.
    public var message: String
    /// Entries deleted before the failure (they stay deleted).
    public var deletedBeforeFailure: Int

    public init(_ message: String, deletedBeforeFailure: Int = 0) {
        self.message = message
        self.deletedBeforeFailure = deletedBeforeFailure
    }

    public var description: String {
        deletedBeforeFailure == 0 ? message : "\(message) (after deleting \(deletedBeforeFailure) entries)"
    }
}
