import ServiceModel

/// Builds one family's restore input line by line, numbering the lines so that checks (and errors) can be
/// traced back to them.
struct IptablesInputWriter {
    private(set) var text = ""
    private(set) var lineCount = 0
    private(set) var checks: [Int: String] = [:]
    /// Lines other than table markers, checks and comments: whether the input changes anything.
    private(set) var changes = 0

    init(reserving bytes: Int = 0) {
        text.reserveCapacity(bytes)
    }

    /// A line that changes something (`:CHAIN`, `-A`, `-I`, `-D`, `-X`).
    mutating func line(_ line: String) {
        append(line)
        changes += 1
    }

    /// Lines that change something.
    mutating func lines(_ lines: [String]) {
        for line in lines { self.line(line) }
    }

    /// `*table`, `COMMIT` or a `#` comment: structure only.
    mutating func marker(_ line: String) {
        append(line)
    }

    /// `-C CHAIN rule`: changes nothing; failing means `meaning`.
    mutating func check(_ line: String, meaning: String) {
        append(line)
        checks[lineCount] = meaning
    }

    /// A chain declaration (creates the chain, or flushes it).
    mutating func declare(_ chain: String) {
        line(":\(chain) - [0:0]")
    }

    private mutating func append(_ line: String) {
        text.append(line)
        text.append("\n")
        lineCount += 1
    }

    func input(_ family: IPFamily) -> IptablesRestoreInput {
        IptablesRestoreInput(family: family, text: changes == 0 ? "" : text, checks: changes == 0 ? [:] : checks)
    }
}
