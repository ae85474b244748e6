/// One nftables transaction as a value: the exact command text that will be sent to the kernel in one
/// libnftables call.
///
/// Printing it is the dry-run dump: what `--dry-run --output=nft` shows is byte for byte what `apply` sends.
///
/// - Important: The text is kept as one string, built line by line (`append`), so that a 10,000-Service
///   transaction is not held twice (as lines and as their join) and is not joined again for every reader.
public struct NftablesTransaction: Sendable, Hashable, CustomStringConvertible {
    /// Every line, each ending in a newline.
    private var body: String
    /// A full transaction replaces proxyd's tables completely; a partial one changes only what differs.
    public var isFull: Bool

    public init(lines: [String] = [], isFull: Bool) {
        body = ""
        self.isFull = isFull
        for line in lines { append(line) }
    }

    /// Adds one line (an nft command, or a comment starting with `#`).
    public mutating func append(_ line: String) {
        body.append(line)
        body.append("\n")
    }

    /// Adds lines written by `write`, which must end each line it writes with a newline.
    mutating func write(_ write: (inout String) -> Void) {
        write(&body)
    }

    mutating func reserveCapacity(_ bytes: Int) {
        body.reserveCapacity(bytes)
    }

    /// nft commands, one per line (`add rule …`, `flush chain …`); lines starting with `#` are comments.
    public var lines: [String] {
        body.isEmpty ? [] : body.dropLast().split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }

    /// True when the transaction has no command (only comments, or nothing).
    public var isEmpty: Bool {
        var atLineStart = true
        for byte in body.utf8 {
            if atLineStart && byte != UInt8(ascii: "#") { return false }
            atLineStart = byte == UInt8(ascii: "\n")
        }
        return true
    }

    /// The text handed to libnftables.
    public var text: String { body.isEmpty ? "\n" : body }

    public var description: String { text }
}
