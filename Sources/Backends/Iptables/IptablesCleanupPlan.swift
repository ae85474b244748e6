/// What removing proxyd's iptables objects from one `iptables-save` dump takes: per table, its `PROXYD-` chains
/// and every rule elsewhere that jumps (or goes) to one of them, as one `iptables-restore --noflush` input.
///
/// Pure: parsed from the dump, rendered as text. Chains and rules of anyone else are left exactly as they are.
public struct IptablesCleanupPlan: Sendable, Hashable {
    public struct Table: Sendable, Hashable {
        public var name: String
        /// proxyd's chains, in dump order.
        public var chains: [String]
        /// Rules of other chains that reference proxyd's, as `iptables-save` wrote them (`-A CHAIN …`).
        public var jumpRules: [String]
    }

    public private(set) var tables: [Table]

    public var isEmpty: Bool { tables.isEmpty }

    /// Reads an `iptables-save` (or `ip6tables-save`) dump.
    public init(save dump: String) {
        var tables: [Table] = []
        var current: Table?
        for rawLine in dump.split(whereSeparator: \.isNewline) {
            let line = String(rawLine.drop { $0 == " " || $0 == "\t" })
            if line.hasPrefix("*") {
                current = Table(name: String(line.dropFirst()), chains: [], jumpRules: [])
            } else if line == "COMMIT" {
                if let table = current, !table.chains.isEmpty || !table.jumpRules.isEmpty { tables.append(table) }
                current = nil
            } else if line.hasPrefix(":") {
                let name = line.dropFirst().prefix { $0 != " " }
                if ProxydNames.isProxydChain(name) { current?.chains.append(String(name)) }
            } else if line.hasPrefix("-A ") {
                let words = Self.words(line)
                guard words.count >= 2, !ProxydNames.isProxydChain(words[1]) else { continue }
                let targets = zip(words, words.dropFirst()).compactMap { option, value in
                    ["-j", "--jump", "-g", "--goto"].contains(option) ? value : nil
                }
                if targets.contains(where: { ProxydNames.isProxydChain($0) }) { current?.jumpRules.append(line) }
            }
        }
        self.tables = tables
    }

    /// Both plans' tables (dumps of different tables of one iptables).
    public func merging(_ other: IptablesCleanupPlan) -> IptablesCleanupPlan {
        var merged = self
        merged.tables += other.tables
        return merged
    }

    /// The `iptables-restore --noflush` input: per table, flush proxyd's chains (declaring a chain flushes it),
    /// delete the jumps to them, then delete the chains. Empty when there is nothing of proxyd's.
    public var restoreInput: String {
        var lines: [String] = []
        for table in tables {
            lines.append("*\(table.name)")
            lines += table.chains.map { ":\($0) - [0:0]" }
            lines += table.jumpRules.map { "-D" + $0.dropFirst(2) }
            lines += table.chains.map { "-X \($0)" }
            lines.append("COMMIT")
        }
        return lines.isEmpty ? "" : lines.joined(separator: "\n") + "\n"
    }

    /// A rule's words, with `"quoted strings"` (comments) as one word.
    public static func words(_ line: String) -> [String] {
        var words: [String] = []
        var word = ""
        var quoted = false
        var escaped = false
        for character in line {
            if escaped {
                word.append(character)
                escaped = false
            } else if character == "\\" {
                word.append(character)
                escaped = true
            } else if character == "\"" {
                quoted.toggle()
                word.append(character)
            } else if character == " " && !quoted {
                if !word.isEmpty { words.append(word) }
                word = ""
            } else {
                word.append(character)
            }
        }
        if !word.isEmpty { words.append(word) }
        return words
    }
}
