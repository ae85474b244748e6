import ServiceModel

/// A restore (or listing) that iptables refused or could not run, with the failing line and the lines around it.
///
/// `iptables-restore` applies each `*table … COMMIT` section atomically: the section that failed left its table
/// untouched; sections before it in the same input were committed.
public struct IptablesError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable {
        /// A check (`-C`) failed: the kernel does not hold what proxyd committed (someone flushed the table or
        /// removed a jump). Nothing of that input's failing table was applied.
        case checkFailed
        /// iptables could not parse the input or the kernel refused a rule.
        case refused
        /// The iptables commands of the chosen flavour are not installed.
        case notInstalled
        /// Anything else: the command could not start, or timed out on the xtables lock.
        case failed
    }

    public var code: Code
    public var family: IPFamily?
    /// What iptables said (standard error), or why it could not run.
    public var message: String
    /// The 1-based line of the input iptables named.
    public var line: Int?
    /// The numbered lines around it, the failing one marked with `>`.
    public var context: String?
    /// For a failed check: what it means.
    public var checkMeaning: String?

    public init(
        code: Code, family: IPFamily? = nil, message: String, line: Int? = nil, context: String? = nil, checkMeaning: String? = nil
    ) {
        self.code = code
        self.family = family
        self.message = message
        self.line = line
        self.context = context
        self.checkMeaning = checkMeaning
    }

    public var description: String {
        var text = "iptables"
        if let family { text += " (\(family))" }
        text += ": " + message
        if let checkMeaning { text += " — \(checkMeaning)" }
        if let line, let context { text += "\n  at line \(line) of the restore input:\n" + context }
        return text
    }

    /// Classifies `iptables-restore`'s standard error for `input`.
    static func restoreFailed(_ stderr: String, input: IptablesRestoreInput) -> IptablesError {
        let message = stderr.split(whereSeparator: \.isNewline)
            .filter { !$0.hasPrefix("Try `") && !$0.isEmpty }
            .joined(separator: "; ")
        let line = failingLine(stderr)
        let meaning = line.flatMap { input.checks[$0] }
        return IptablesError(
            code: meaning == nil ? .refused : .checkFailed, family: input.family,
            message: message.isEmpty ? "iptables-restore failed without a message" : message, line: line,
            context: line.map { input.context(around: $0) }, checkMeaning: meaning)
    }

    /// The line number in `iptables-restore: line 12 failed`, `Error occurred at line: 12` or (nft flavour,
    /// kernel refusals) `line 12: CHAIN_DEL failed (Device or resource busy)`.
    static func failingLine(_ stderr: String) -> Int? {
        var rest = Substring(stderr)
        while let range = rest.firstRange(of: "line") {
            let after = rest[range.upperBound...].drop { $0 == ":" || $0 == " " }
            let digits = after.prefix { $0.isNumber }
            if !digits.isEmpty, after.startIndex != range.upperBound, let line = Int(digits) { return line }
            rest = rest[range.upperBound...]
        }
        return nil
    }
}
