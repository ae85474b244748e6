import ServiceModel

/// The input of one `ipset restore`: commands one per line (`create`, `add`, `del`, `swap`, `destroy`), `#` lines
/// for a reader. Printing it is the dry-run dump: `text` is byte for byte what the driver feeds `ipset restore`.
///
/// - Important: `ipset restore` is not a transaction. It runs the commands in order and stops at the first one the
///   kernel refuses, so the sets may hold part of the input afterwards; whoever applied it must treat what it
///   committed as unknown and list the sets before the next full sync.
public struct IPSetRestoreInput: Sendable, Hashable, CustomStringConvertible {
    public var family: IPFamily
    /// The commands, each line ending in a newline; empty when nothing changes.
    public var text: String

    public init(family: IPFamily, text: String) {
        self.family = family
        self.text = text
    }

    public var isEmpty: Bool { text.isEmpty }

    public var description: String { text }

    /// The lines around 1-based `line` (as `ipset restore` counts them, `#` lines included), numbered, the line
    /// itself marked.
    public func context(around line: Int, radius: Int = 3) -> String {
        RestoreInputContext.lines(of: text, around: line, radius: radius)
    }

    /// Builds an input line by line; it stays empty unless some line changes something.
    struct Writer {
        private(set) var text = ""
        private var changes = 0

        init(reserving bytes: Int = 0) {
            text.reserveCapacity(bytes)
        }

        /// A command.
        mutating func command(_ line: String) {
            text.append(line)
            text.append("\n")
            changes += 1
        }

        /// A `#` line for a reader.
        mutating func comment(_ line: String) {
            text.append("# ")
            text.append(line)
            text.append("\n")
        }

        func input(_ family: IPFamily) -> IPSetRestoreInput {
            IPSetRestoreInput(family: family, text: changes == 0 ? "" : text)
        }
    }
}
