/// One nftables transaction as a value: the exact command text that will be sent to the kernel in one
/// libnftables call.
///
/// Printing it is the dry-run dump: what `--dry-run --output=nft` shows is byte for byte what `apply` sends.
public struct NftablesTransaction: Sendable, Hashable, CustomStringConvertible {
    /// nft commands, one per line (`add rule …`, `flush chain …`); lines starting with `#` are comments.
    public var lines: [String]
    /// A full transaction replaces proxyd's tables completely; a partial one changes only what differs.
    public var isFull: Bool

    public init(lines: [String] = [], isFull: Bool) {
        self.lines = lines
        self.isFull = isFull
    }

    public var isEmpty: Bool { lines.allSatisfy { $0.hasPrefix("#") } }

    /// The text handed to libnftables.
    public var text: String {
        var text = lines.joined(separator: "\n")
        text.append("\n")
        return text
    }

    public var description: String { text }
}
