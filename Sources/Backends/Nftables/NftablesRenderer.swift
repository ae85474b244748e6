import ServiceModel

/// Turns desired states into nftables transactions: a pure, deterministic function (same input, same bytes).
///
/// A full transaction replaces the whole content of proxyd's tables in one kernel transaction; a partial one
/// sends only the elements and chains that differ from the committed rendering. See README.md in this folder
/// for the layout.
public struct NftablesRenderer: Sendable {
    public init() {}

    /// The result of rendering: the transaction, the renderings it commits, and conflicts worth a warning.
    public struct Output: Sendable {
        public var transaction: NftablesTransaction
        public var renderings: [IPFamily: NftablesRendering]
        public var warnings: [String]
    }

    /// A full transaction for `states`. With `previous` (what is committed), it flushes and refills the tables,
    /// which keeps ClientIP affinity entries; without, it deletes and recreates them (at start-up, when proxyd
    /// cannot know what an earlier process left behind).
    public func full(_ states: [DesiredState], previous: [IPFamily: NftablesRendering]?) -> Output {
        var transaction = NftablesTransaction(isFull: true)
        var renderings: [IPFamily: NftablesRendering] = [:]
        var warnings: [String] = []
        let served = Set(states.map(\.family))
        for family in IPFamily.allCases where !served.contains(family) {
            // A family no longer (or not) served: its table, if any, goes.
            if previous == nil || previous?[family] != nil {
                let syntax = NftablesSyntax(family: family)
                transaction.append("add table \(syntax.tableFamily) \(NftablesNames.table)")
                transaction.append("delete table \(syntax.tableFamily) \(NftablesNames.table)")
            }
        }
        for state in states.sorted(by: { $0.family.rawValue < $1.family.rawValue }) {
            let (rendering, familyWarnings) = fullFamily(
                state, previous: previous?[state.family], replace: previous == nil, into: &transaction)
            renderings[state.family] = rendering
            warnings += familyWarnings
        }
        return Output(transaction: transaction, renderings: renderings, warnings: warnings)
    }

    /// A partial transaction applying `diffs`, updating `committed` in place to what the transaction commits.
    /// Diffs must not change node settings (those need a full sync).
    ///
    /// - Important: Work is proportional to the diffs, not to the table: `committed` is mutated in place (the
    ///   caller must hold the only reference), and only touched elements' previous values are remembered.
    ///   If the transaction is then refused, `committed` no longer describes the kernel: replace the tables
    ///   with a full transaction without `previous`.
    public func partial(_ diffs: [DesiredStateDiff], committed: inout [IPFamily: NftablesRendering]) -> (NftablesTransaction, [String]) {
        var lines: [String] = []
        var warnings: [String] = []
        for diff in diffs.sorted(by: { $0.family.rawValue < $1.family.rawValue }) where !diff.isEmpty {
            precondition(diff.node == nil, "node settings changed: a full sync is needed")
            guard var rendering = committed.removeValue(forKey: diff.family) else { continue }
            let (familyLines, familyWarnings) = partialFamily(diff, rendering: &rendering)
            committed[diff.family] = rendering
            lines += familyLines
            warnings += familyWarnings
        }
        return (NftablesTransaction(lines: lines, isFull: false), warnings)
    }

    /// A partial transaction from copies of the committed renderings, leaving them untouched (tests, dry runs).
    public func partial(_ diffs: [DesiredStateDiff], committed: [IPFamily: NftablesRendering]) -> Output {
        var renderings = committed
        let (transaction, warnings) = partial(diffs, committed: &renderings)
        return Output(transaction: transaction, renderings: renderings, warnings: warnings)
    }

    // MARK: Full

    private func fullFamily(
        _ state: DesiredState, previous: NftablesRendering?, replace: Bool, into transaction: inout NftablesTransaction
    ) -> (NftablesRendering, [String]) {
        var rendering = NftablesRendering(family: state.family, node: state.node)
        let renderer = rendering.portRenderer
        let contributions = state.servicePorts.map { renderer.rules(for: $0) }
        // Sized once: growing a dictionary of 40,000 elements step by step rehashes every key several times.
        rendering.elements.reserveCapacity(contributions.reduce(0) { $0 + $1.elements.count })
        for rules in contributions { rendering.add(rules) }
        let skeleton = NftablesSkeleton(syntax: rendering.syntax, node: state.node)
        let table = "\(rendering.syntax.tableFamily) \(NftablesNames.table)"
        var lines = ["# \(state.family): \(state.servicePortCount) Service ports, \(replace ? "replacing" : "refilling") table \(table)"]
        lines.append("add table \(table) { comment \"Kubernetes Services, programmed by proxyd\" ; }")
        if replace { lines.append("delete table \(table)"); lines.append("add table \(table) { comment \"Kubernetes Services, programmed by proxyd\" ; }") }
        lines += skeleton.setDeclarations(table)
        if !replace {
            lines.append("flush table \(table)")
            lines += skeleton.flushableSets.map { "flush \($0.kind) \(table) \($0.name)" }
        }
        lines += skeleton.chainDeclarations(table)
        let shared = rendering.sharedChains.sorted()
        lines += shared.map { "add chain \(table) \($0.name)" }
        let serviceChains = rendering.serviceChains.keys.sorted()
        lines += serviceChains.map { "add chain \(table) \($0)" }
        if let previous {
            // Chains of the previous rendering that are no longer wanted (all their rules and references were
            // flushed above).
            for chain in previous.sharedChains.subtracting(rendering.sharedChains).sorted() {
                lines.append("delete chain \(table) \(chain.name)")
            }
            for name in Set(previous.serviceChains.keys).subtracting(rendering.serviceChains.keys).sorted() {
                lines.append("delete chain \(table) \(name)")
            }
        }
        lines += skeleton.rules(table, detector: rendering.detector)
        for chain in shared {
            lines += ruleLines(chain.chain(rendering.syntax, rendering.detector), table: table)
        }
        for name in serviceChains {
            lines += ruleLines(rendering.serviceChains[name]!, table: table)
        }
        lines += skeleton.nodeElements(table)
        for line in lines { transaction.append(line) }
        writeElements(contributions, rendering: rendering, table: table, into: &transaction)
        return (rendering, rendering.elements.allConflicts())
    }

    /// `add element` commands, one per set, elements in Service-port order, each element once (its winning
    /// owner emits it).
    ///
    /// The bulk of a large transaction: written straight into the transaction's text, without a string per
    /// element or per line.
    private func writeElements(
        _ contributions: [ServicePortRules], rendering: NftablesRendering, table: String,
        into transaction: inout NftablesTransaction
    ) {
        let order = NftablesSkeleton.elementSetOrder
        // Positions (Service port, element) per set, in `order`: no copy of an element and no hashing of a set name.
        var bySet = [[(port: Int, element: Int)]](repeating: [], count: order.count)
        // Only elements with several claims (a ClusterIP shared by a Service's ports, a hairpin pair) can be met
        // twice; most have one claim, and skip this second hash lookup.
        var emittedShared = Set<NftablesElement.ID>()
        var bytes = 0
        for (portIndex, rules) in contributions.enumerated() {
            for (elementIndex, element) in rules.elements.enumerated() {
                guard let claims = rendering.elements.claims(element.id), claims.first?.element == element else { continue }
                if claims.count > 1 && !emittedShared.insert(element.id).inserted { continue }
                guard let setIndex = order.firstIndex(of: element.set) else { continue }
                bySet[setIndex].append((portIndex, elementIndex))
                bytes += element.textByteCount + 3
            }
        }
        transaction.reserveCapacity(bytes + 4096)
        transaction.write { text in
            for (set, positions) in zip(order, bySet) where !positions.isEmpty {
                text.append("add element ")
                text.append(table)
                text.append(" ")
                text.append(set)
                text.append(" {\n")
                for (index, position) in positions.enumerated() {
                    text.append("\t")
                    contributions[position.port].elements[position.element].write(to: &text, intervalSeparator: ",\n\t")
                    text.append(index == positions.count - 1 ? "\n" : ",\n")
                }
                text.append("}\n")
            }
        }
    }

    private func ruleLines(_ chain: NftablesChain, table: String) -> [String] {
        var lines: [String] = []
        if let comment = chain.comment { lines.append("# \(chain.name): \(comment.text)") }
        lines += chain.rules.map { "add rule \(table) \(chain.name) \($0)" }
        return lines
    }

    // MARK: Partial

    private func partialFamily(_ diff: DesiredStateDiff, rendering: inout NftablesRendering) -> ([String], [String]) {
        let table = "\(rendering.syntax.tableFamily) \(NftablesNames.table)"
        let renderer = rendering.portRenderer
        let oldRules = (diff.removed + diff.changed.map(\.old)).map { renderer.rules(for: $0) }
        let newRules = (diff.added + diff.changed.map(\.new)).map { renderer.rules(for: $0) }
        var touched = Set<NftablesElement.ID>()
        var oldChains: [String: NftablesChain] = [:]
        var newChains: [String: NftablesChain] = [:]
        for rules in oldRules {
            touched.formUnion(rules.elements.map(\.id))
            for chain in rules.chains { oldChains[chain.name] = chain }
        }
        for rules in newRules {
            touched.formUnion(rules.elements.map(\.id))
            for chain in rules.chains { newChains[chain.name] = chain }
        }
        // What the kernel holds now, for the touched elements and chains only.
        var effectiveBefore: [NftablesElement.ID: NftablesElement] = [:]
        for id in touched { effectiveBefore[id] = rendering.elements.effective(id) }
        let existingChains = Set(newChains.keys.filter { rendering.serviceChains[$0] != nil })
        let sharedBefore = rendering.sharedChains
        for rules in oldRules { rendering.remove(rules) }
        for rules in newRules { rendering.add(rules) }

        var lines: [String] = ["# \(diff.family): -\(diff.removed.count) +\(diff.added.count) ~\(diff.changed.count) Service ports"]
        // 1. Chains the new elements jump to: new shared chains, new and changed per-Service chains.
        for chain in rendering.sharedChains.subtracting(sharedBefore).sorted() {
            lines.append("add chain \(table) \(chain.name)")
            lines += ruleLines(chain.chain(rendering.syntax, rendering.detector), table: table)
        }
        // All of them exist (or are emptied) before any rule is added, as rules may jump between them.
        let rewritten = newChains.keys.sorted().filter { oldChains[$0] != newChains[$0] }
        for name in rewritten {
            let exists = existingChains.contains(name)
            lines.append(exists ? "flush chain \(table) \(name)" : "add chain \(table) \(name)")
        }
        for name in rewritten {
            lines += ruleLines(newChains[name]!, table: table)
        }
        // 2. Elements: deletions first, so that a key whose value changes can be added again.
        var deletions: [String: [String]] = [:]
        var additions: [String: [String]] = [:]
        for id in touched.sorted(by: { ($0.set, $0.key) < ($1.set, $1.key) }) {
            let old = effectiveBefore[id]
            let new = rendering.elements.effective(id)
            if old == new { continue }
            if let old { deletions[id.set, default: []].append(old.keysText) }
            if let new { additions[id.set, default: []].append(new.text) }
        }
        for set in NftablesSkeleton.elementSetOrder {
            if let keys = deletions[set] { lines.append("delete element \(table) \(set) { \(keys.joined(separator: ", ")) }") }
        }
        for set in NftablesSkeleton.elementSetOrder {
            if let elements = additions[set] { lines.append("add element \(table) \(set) { \(elements.joined(separator: ", ")) }") }
        }
        // 3. Chains nothing refers to any more: per-Service ones, then shared ones (users before the chains
        //    they jump to), so that the table holds exactly what a full sync would.
        //    Emptying them all first removes their jumps to each other, so the deletions cannot find one busy.
        let obsolete = oldChains.keys.sorted().filter { newChains[$0] == nil && rendering.serviceChains[$0] == nil }
            + sharedBefore.subtracting(rendering.sharedChains).sorted().map(\.name)
        lines += obsolete.map { "flush chain \(table) \($0)" }
        lines += obsolete.map { "delete chain \(table) \($0)" }
        let warnings = rendering.elements.conflicts(among: touched)
        return (lines, warnings)
    }
}
