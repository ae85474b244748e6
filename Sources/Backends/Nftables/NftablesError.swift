/// A transaction libnftables or the kernel refused, with nft's own message and the line it points at.
///
/// Nothing of a refused transaction was applied (one `nft` run is one kernel transaction).
public struct NftablesError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable {
        /// nft could not parse or evaluate the text (a renderer bug or a kernel without a feature).
        case invalid
        /// An object the transaction refers to does not exist.
        case notFound
        /// An object the transaction creates already exists.
        case alreadyExists
        /// Not allowed: proxyd needs CAP_NET_ADMIN in its network namespace.
        case permissionDenied
        /// Anything else the kernel refused.
        case failed
    }

    public var code: Code
    /// nft's message, pointing into "transaction" rather than a file descriptor path.
    public var message: String
    /// 1-based line of the transaction nft complained about, when it said.
    public var line: Int?
    /// That line's text.
    public var lineText: String?

    public init(code: Code, message: String, line: Int? = nil, lineText: String? = nil) {
        self.code = code
        self.message = message
        self.line = line
        self.lineText = lineText
    }

    /// nft's complaint in one line, without the position and the quoted text (`Could not process rule: File
    /// exists`), for warnings about one Service.
    public var summary: String {
        let lines = message.split(separator: "\n")
        let line = lines.first { $0.contains("Error: ") } ?? lines.first ?? Substring(message)
        if let range = line.firstRange(of: "Error: ") { return String(line[range.upperBound...]) }
        return String(line)
    }

    public var description: String {
        var text = "nftables: \(message)"
        if let line, let lineText, !message.contains(lineText) { text += "\n  line \(line): \(lineText)" }
        return text
    }

    /// Classifies nft's error output for `source` (the text that was run, to quote the failing line).
    static func parse(_ output: String, source: String?, path: String?) -> NftablesError {
        var message = output.trimmingTrailingNewlines
        if let path { message = message.replacing(path, with: "transaction") }
        var line: Int?
        // "transaction:12:3-9: Error: …"
        if let range = message.firstRange(of: "transaction:") {
            let digits = message[range.upperBound...].prefix { $0.isNumber }
            line = Int(digits)
        }
        var lineText: String?
        if let line, let source {
            var index = 1
            for text in source.split(separator: "\n", omittingEmptySubsequences: false) {
                if index == line {
                    lineText = String(text)
                    break
                }
                index += 1
            }
        }
        let code: Code
        if message.contains("No such file or directory") {
            code = .notFound
        } else if message.contains("File exists") {
            code = .alreadyExists
        } else if message.contains("Operation not permitted") || message.contains("Permission denied") {
            code = .permissionDenied
        } else if message.contains("syntax error") || message.contains("Error:") && line != nil && !message.contains("Could not process rule") {
            code = .invalid
        } else {
            code = .failed
        }
        return NftablesError(code: code, message: message.isEmpty ? "nft failed without a message" : message, line: line, lineText: lineText)
    }
}

extension String {
    var trimmingTrailingNewlines: String {
        var text = self
        while text.hasSuffix("\n") { text.removeLast() }
        return text
    }
}
