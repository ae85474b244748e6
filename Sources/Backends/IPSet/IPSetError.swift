import ServiceModel

/// An `ipset` command that failed: what ipset said, and for a refused restore the line it named with the lines
/// around it.
///
/// `ipset restore` runs its commands one after another: the commands before the refused line may have been
/// applied (see `IPSetRestoreInput`).
public struct IPSetError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable {
        /// ipset or the kernel refused a command of the input (a set that does not exist, a full set, a set in use).
        case refused
        /// `ipset` is not installed.
        case notInstalled
        /// Anything else: the command could not start, or failed without naming a line.
        case failed
    }

    public var code: Code
    public var family: IPFamily?
    /// What ipset printed on standard error, or why it could not run.
    public var message: String
    /// The 1-based line of the input ipset named.
    public var line: Int?
    /// The numbered lines around it, the failing one marked with `>`.
    public var context: String?

    public init(code: Code, family: IPFamily? = nil, message: String, line: Int? = nil, context: String? = nil) {
        self.code = code
        self.family = family
        self.message = message
        self.line = line
        self.context = context
    }

    public var description: String {
        var text = "ipset"
        if let family { text += " (\(family))" }
        text += ": " + message
        if let line, let context { text += "\n  at line \(line) of the restore input:\n" + context }
        return text
    }

    /// Classifies `ipset restore`'s standard error (`ipset v7.17: Error in line 4: Element cannot be added to the
    /// set: it's already added`) for `input`.
    static func restoreFailed(_ stderr: String, input: IPSetRestoreInput) -> IPSetError {
        let message = stderr.split(whereSeparator: \.isNewline).filter { !$0.isEmpty }.joined(separator: "; ")
        let line = IptablesError.failingLine(stderr)
        return IPSetError(
            code: line == nil ? .failed : .refused, family: input.family,
            message: message.isEmpty ? "ipset restore failed without a message" : message, line: line,
            context: line.map { input.context(around: $0) })
    }
}
