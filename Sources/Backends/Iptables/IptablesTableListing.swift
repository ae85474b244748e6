/// What one family's `filter` and `nat` tables hold of proxyd's, read from `iptables-save`: its chains, and the
/// rules elsewhere that jump to them. A full sync that cannot trust its memory (start-up, after a failure, after
/// the tables were flushed) starts from this.
///
/// Pure: parsed from the dumps.
public struct IptablesTableListing: Sendable, Hashable {
    public struct Table: Sendable, Hashable {
        /// proxyd's chains in the table.
        public var chains: Set<String> = []
        /// Rules of built-in chains that jump to proxyd's chains, as saved (`-A INPUT … -j PROXYD-…`).
        public var jumps: [(chain: String, rule: String, target: String)] = []
        /// proxyd's chains that a rule of a chain neither proxyd's nor built-in refers to: someone else's, which
        /// proxyd leaves alone, so these chains cannot be deleted.
        public var referencedByOthers: Set<String> = []

        public init() {}

        public static func == (lhs: Table, rhs: Table) -> Bool {
            lhs.chains == rhs.chains && lhs.referencedByOthers == rhs.referencedByOthers
                && lhs.jumps.map { [$0.chain, $0.rule, $0.target] } == rhs.jumps.map { [$0.chain, $0.rule, $0.target] }
        }

        public func hash(into hasher: inout Hasher) {
            hasher.combine(chains)
            for jump in jumps { hasher.combine(jump.rule) }
        }
    }

    public var tables: [String: Table] = [:]

    /// Nothing of proxyd's (a node it never ran on, or what `--dry-run` assumes).
    public init() {}

    /// Reads `iptables-save` output (any tables; each `*table … COMMIT` section).
    public init(save dump: String) {
        for table in IptablesCleanupPlan(save: dump).tables {
            var listed = tables[table.name] ?? Table()
            listed.chains.formUnion(table.chains)
            for rule in table.jumpRules {
                let words = IptablesCleanupPlan.words(rule)
                guard words.count >= 2 else { continue }
                let targets = zip(words, words.dropFirst()).compactMap { option, value in
                    ["-j", "--jump", "-g", "--goto"].contains(option) && ProxydNames.isProxydChain(value) ? value : nil
                }
                if IptablesJump.builtinChains.contains(words[1]) {
                    for target in targets { listed.jumps.append((words[1], rule, target)) }
                } else {
                    listed.referencedByOthers.formUnion(targets)
                }
            }
            tables[table.name] = listed
        }
    }

    public subscript(table: String) -> Table { tables[table] ?? Table() }
}
