import ServiceModel

/// One sync's worth of `iptables-restore --noflush` input: one text per IP family (`iptables-restore` for IPv4,
/// `ip6tables-restore` for IPv6), each with a `*filter` and a `*nat` section.
///
/// Printing it is the dry-run dump: `text` is byte for byte what the driver feeds the restore commands, with one
/// header comment line per family (iptables-restore ignores lines starting with `#`).
public struct IptablesTransaction: Sendable, Hashable, CustomStringConvertible {
    public var inputs: [IptablesRestoreInput]
    /// A full transaction rewrites every chain of proxyd's; a partial one only what changed.
    public var isFull: Bool

    public init(inputs: [IptablesRestoreInput] = [], isFull: Bool) {
        self.inputs = inputs
        self.isFull = isFull
    }

    /// True when no family has anything to restore.
    public var isEmpty: Bool { inputs.allSatisfy(\.isEmpty) }

    /// Every family's input, each under a header naming the command that reads it.
    public var text: String {
        inputs.filter { !$0.isEmpty }.map { input in
            "# \(IptablesRestoreInput.command(input.family))-restore --noflush (\(input.family))\n" + input.text
        }.joined()
    }

    public var description: String { text }
}

/// The restore input for one IP family, and which of its lines are checks.
///
/// A check (`-C CHAIN rule`) changes nothing; when it fails, the kernel does not hold what proxyd believes it
/// committed (someone flushed the table, or removed a jump), so the whole input is refused and the backend
/// lists the tables and replaces everything.
public struct IptablesRestoreInput: Sendable, Hashable {
    public var family: IPFamily
    /// The text fed to `iptables-restore --noflush`, ending in a newline.
    public var text: String
    /// 1-based line numbers of checks, with what a failure there means.
    public var checks: [Int: String]

    public init(family: IPFamily, text: String, checks: [Int: String] = [:]) {
        self.family = family
        self.text = text
        self.checks = checks
    }

    public var isEmpty: Bool { text.isEmpty }

    /// `iptables` or `ip6tables`.
    static func command(_ family: IPFamily) -> String { family == .ipv4 ? "iptables" : "ip6tables" }

    /// The lines around 1-based `line` (three on each side), numbered, the line itself marked: what an error
    /// report shows.
    public func context(around line: Int, radius: Int = 3) -> String {
        RestoreInputContext.lines(of: text, around: line, radius: radius)
    }
}
