import ServiceModel

extension IptablesRenderer {
    /// A partial transaction applying `diffs`, updating `committed` in place to what it commits; nil when one of
    /// the families needs a full sync instead (node settings changed, large cluster mode flips, or the family
    /// has no committed rendering). `committed` is unchanged when nil is returned.
    ///
    /// The changed ports' own chains are rewritten (those whose rules did not change are left alone), chains no
    /// longer needed are flushed and deleted, and in the top-level chains (`PROXYD-SERVICES`, `PROXYD-NODEPORTS`,
    /// …) only the changed ports' rules are touched: the old ones deleted by their exact text (`-D CHAIN rule`),
    /// the new ones inserted at the position a full sync gives them (`-I CHAIN n rule`). The tables then hold
    /// rule for rule, in order, what a full sync of the new state writes.
    ///
    /// - Important: Work is proportional to the changed ports (plus one pass over per-port rule counts to find
    ///   positions). If the input is refused, `committed` no longer describes the kernel: list the tables and
    ///   sync in full.
    public func partial(_ diffs: [DesiredStateDiff], committed: inout [IPFamily: IptablesRendering]) -> (IptablesTransaction, [String])? {
        let diffs = diffs.filter { !$0.isEmpty }
        for diff in diffs {
            guard diff.node == nil, let rendering = committed[diff.family] else { return nil }
            var count = rendering.endpointCount
            for port in diff.removed + diff.changed.map(\.old) { count -= port.reachableEndpoints.count }
            for port in diff.added + diff.changed.map(\.new) { count += port.reachableEndpoints.count }
            if (count > settings.largeClusterEndpointThreshold) != rendering.largeCluster { return nil }
        }
        var transaction = IptablesTransaction(isFull: false)
        var warnings: [String] = []
        for diff in diffs.sorted(by: { $0.family.rawValue < $1.family.rawValue }) {
            var rendering = committed.removeValue(forKey: diff.family)!
            let (input, familyWarnings) = partialFamily(diff, rendering: &rendering)
            committed[diff.family] = rendering
            transaction.inputs.append(input)
            warnings += familyWarnings
        }
        return (transaction, warnings)
    }

    private func partialFamily(_ diff: DesiredStateDiff, rendering: inout IptablesRendering) -> (IptablesRestoreInput, [String]) {
        let oldNames = diff.removed.map(\.name) + diff.changed.map(\.old.name)
        let oldRules = oldNames.compactMap { rendering.ports[$0] }
        let newRules = (diff.added + diff.changed.map(\.new)).map { rendering.portRenderer.rules(for: $0) }
        rendering.endpointCount += (diff.added + diff.changed.map(\.new)).reduce(0) { $0 + $1.reachableEndpoints.count }
            - (diff.removed + diff.changed.map(\.old)).reduce(0) { $0 + $1.reachableEndpoints.count }

        // The ports' own chains: rewrite those whose rules changed, delete those no longer used.
        var oldChains: [String: IptablesChain] = [:]
        var touchedClaims = Set<String>()
        for rules in oldRules {
            for chain in rules.chains { oldChains[chain.name] = chain }
            touchedClaims.formUnion(rules.claims)
        }
        for name in oldNames { rendering.remove(name) }
        var newChains = Set<String>()
        var written: [IptablesChain] = []
        for rules in newRules {
            rendering.insert(rules)
            touchedClaims.formUnion(rules.claims)
            for chain in rules.chains {
                newChains.insert(chain.name)
                if oldChains[chain.name] != chain { written.append(chain) }
            }
        }
        let stale = Set(oldChains.keys).subtracting(newChains).sorted()

        // The top-level chains: a port's old rules out, its new ones in where a full sync would write them.
        let edits = TopLevelEdits(old: oldRules, new: newRules, in: rendering)

        var writer = IptablesInputWriter(reserving: 4096)
        writer.marker("# \(diff.family): -\(diff.removed.count) +\(diff.added.count) ~\(diff.changed.count) Service ports, partial sync")
        let flushed = "the table was flushed (\(IptablesNames.canary) lost its rule)"
        writer.marker("*filter")
        writer.check(Self.canaryCheck, meaning: "filter: " + flushed)
        edits.write("filter", into: &writer)
        writer.marker("COMMIT")
        writer.marker("*nat")
        writer.check(Self.canaryCheck, meaning: "nat: " + flushed)
        for chain in written { writer.declare(chain.name) }
        for chain in stale { writer.declare(chain) }
        for chain in written { writer.lines(chain.rules) }
        // After the chains they jump to exist, before the chains they jumped to go.
        edits.write("nat", into: &writer)
        for chain in stale { writer.line("-X \(chain)") }
        writer.marker("COMMIT")
        return (writer.input(diff.family), rendering.conflicts(among: touchedClaims))
    }

    /// What a partial sync changes in the top-level chains: for each chain, the rules of changed ports to delete
    /// (by their exact text) and the rules to insert, at 1-based positions in the chain as it will be.
    private struct TopLevelEdits {
        var deletions: [IptablesTopLevelChain: [String]] = [:]
        var insertions: [IptablesTopLevelChain: [(position: Int32, lines: [String])]] = [:]

        /// `rendering` already holds the new rules.
        init(old: [IptablesServicePortRules], new: [IptablesServicePortRules], in rendering: IptablesRendering) {
            let oldByName = Dictionary(old.map { ($0.name, $0) }, uniquingKeysWith: { $1 })
            let newByName = Dictionary(new.map { ($0.name, $0) }, uniquingKeysWith: { $1 })
            var inserted: [(IptablesTopLevelChain, IptablesServicePortRules, [String])] = []
            for chain in IptablesTopLevelChain.allCases {
                for rules in old {
                    let before = rules.lines(in: chain)
                    if !before.isEmpty, before != newByName[rules.name]?.lines(in: chain) {
                        deletions[chain, default: []] += before
                    }
                }
                for rules in new {
                    let after = rules.lines(in: chain)
                    if !after.isEmpty, after != oldByName[rules.name]?.lines(in: chain) {
                        inserted.append((chain, rules, after))
                    }
                }
            }
            guard !inserted.isEmpty else { return }
            let positions = rendering.topLevelPositions(of: Set(inserted.map(\.1.name)))
            for (chain, rules, lines) in inserted {
                insertions[chain, default: []].append((positions[rules.name]![chain.rawValue], lines))
            }
        }

        /// The deletions, then the insertions in ascending position (each lands where the rules before it in the
        /// final chain already are), of `table`'s chains.
        func write(_ table: String, into writer: inout IptablesInputWriter) {
            for chain in IptablesTopLevelChain.allCases where chain.table == table {
                for line in deletions[chain] ?? [] { writer.line("-D" + line.dropFirst(2)) }
                let prefix = "-A \(chain.name) ".count
                for (position, lines) in (insertions[chain] ?? []).sorted(by: { $0.position < $1.position }) {
                    for (offset, line) in lines.enumerated() {
                        writer.line("-I \(chain.name) \(Int(position) + offset) " + line.dropFirst(prefix))
                    }
                }
            }
        }
    }
}
