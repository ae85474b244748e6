import ServiceModel

/// Turns desired states into `iptables-restore --noflush` input: a pure, deterministic function (same input,
/// same bytes). See README.md in this folder for the layout.
///
/// A full input rewrites every chain of proxyd's and deletes the ones no longer wanted; a partial one writes
/// the top-level chains in full when a Service port's rules in them changed, rewrites only the changed ports'
/// own chains, and deletes the chains the change made stale (kube-proxy's MinimizeIPTablesRestore).
public struct IptablesRenderer: Sendable {
    public let settings: IptablesSettings

    public init(settings: IptablesSettings = IptablesSettings()) {
        self.settings = settings
    }

    /// What the renderer knows of a family's tables before a full sync.
    public enum KernelView: Sendable {
        /// Read from `iptables-save` just now (or nothing, for a node proxyd never ran on).
        case listed(IptablesTableListing)
        /// What the last successful sync committed; the input checks (`-C`) that the jumps are still there.
        case committed(IptablesRendering)
    }

    /// The result of rendering: the restore inputs, the renderings they commit, and conflicts worth a warning.
    public struct Output: Sendable {
        public var transaction: IptablesTransaction
        public var renderings: [IPFamily: IptablesRendering]
        public var warnings: [String]
    }

    /// The rule in each table's canary chain; a sync that does not find it knows the table was flushed.
    static let canaryRule = "-A \(IptablesNames.canary) \(IptablesComment("proxyd: if this rule is gone, the table was flushed and the next sync rewrites it").match) -j RETURN"
    static var canaryCheck: String { "-C" + canaryRule.dropFirst(2) }

    // MARK: Full

    /// Full inputs for `states`, starting from what `kernel` says each family's tables hold. A family with a
    /// view but no state (no longer served) gets an input that removes proxyd's chains and jumps.
    public func full(_ states: [DesiredState], kernel: [IPFamily: KernelView]) -> Output {
        var transaction = IptablesTransaction(isFull: true)
        var renderings: [IPFamily: IptablesRendering] = [:]
        var warnings: [String] = []
        let served = Dictionary(uniqueKeysWithValues: states.map { ($0.family, $0) })
        for family in IPFamily.allCases {
            if let state = served[family] {
                let (input, rendering, familyWarnings) = fullFamily(state, kernel: kernel[family])
                transaction.inputs.append(input)
                renderings[family] = rendering
                warnings += familyWarnings
            } else if let view = kernel[family] {
                transaction.inputs.append(removal(family, view))
            }
        }
        return Output(transaction: transaction, renderings: renderings, warnings: warnings)
    }

    private func fullFamily(_ state: DesiredState, kernel: KernelView?) -> (IptablesRestoreInput, IptablesRendering, [String]) {
        let (detector, detectorWarnings) = IptablesLocalDetector.make(state.node.localTrafficDetector)
        let ports = state.servicePorts
        let endpointCount = ports.reduce(0) { $0 + $1.reachableEndpoints.count }
        let largeCluster = endpointCount > settings.largeClusterEndpointThreshold
        let localnet = settings.servesLocalhostNodePorts(state.family, state.node)
        let portRenderer = IptablesPortRenderer(detector: detector, masqueradeAll: state.node.masqueradeAll, largeCluster: largeCluster)
        let filterChains = topLevelFilterChains(localnet: localnet)
        var rendering = IptablesRendering(
            family: state.family, node: state.node, largeCluster: largeCluster, endpointCount: endpointCount,
            portRenderer: portRenderer, jumps: IptablesJump.required(localnetFirewall: localnet), filterChains: filterChains)
        rendering.ports.reserveCapacity(ports.count)
        rendering.order.reserveCapacity(ports.count)
        // Written from this array, in order, without looking each port up again.
        let contributions = ports.map { portRenderer.rules(for: $0) }
        for (port, rules) in zip(ports, contributions) {
            rendering.ports[port.name] = rules
            rendering.order.append(port.name)
            for claim in rules.claims { rendering.claims[claim, default: []].append(port.name) }
        }
        var warnings = detectorWarnings + rendering.conflicts(among: rendering.claims.keys)

        // What the tables hold now, and what must go.
        let existing: (filter: Set<String>, nat: Set<String>)
        let blocked: Set<String>
        switch kernel {
        case .committed(let committed):
            existing = (Set(committed.filterChains), Set(Self.natTopLevelChains).union(committed.portChains))
            blocked = []
        case .listed(let listing):
            existing = (listing["filter"].chains, listing["nat"].chains)
            blocked = listing["filter"].referencedByOthers.union(listing["nat"].referencedByOthers)
        case nil:
            existing = ([], [])
            blocked = []
        }
        var staleFilter = existing.filter.subtracting(filterChains)
        // Hashing every chain name only when something of proxyd's is there to compare with.
        var staleNat = existing.nat.isEmpty ? [] : existing.nat.subtracting(Set(Self.natTopLevelChains).union(rendering.portChains))
        for chain in staleFilter.union(staleNat).intersection(blocked).sorted() {
            warnings.append("iptables: \(chain) is no longer used but a rule outside proxyd's chains jumps to it; it is left in place, empty")
        }
        staleFilter.subtract(blocked)
        staleNat.subtract(blocked)

        let mode: String
        switch kernel {
        case .committed: mode = "rewriting what the last sync committed"
        case .listed(let listing): mode = listing.tables.isEmpty ? "nothing of proxyd's in the tables" : "replacing what iptables-save listed"
        case nil: mode = "nothing of proxyd's in the tables"
        }
        var writer = IptablesInputWriter(reserving: 4096 + ports.count * 1400)
        writer.marker("# \(state.family): \(ports.count) Service ports, \(endpointCount) endpoints, full sync (\(mode))\(largeCluster ? "; large cluster: no per-endpoint comments" : "")")

        // filter
        writer.marker("*filter")
        for chain in filterChains { writer.declare(chain) }
        for chain in staleFilter.sorted() { writer.declare(chain) }
        jumpLines("filter", rendering.jumps, kernel: kernel, into: &writer)
        writer.line(Self.canaryRule)
        if localnet {
            // route_localnet lets packets to 127.0.0.0/8 arrive from outside; only NAT'ed ones may.
            writer.line("-A \(IptablesNames.localnetFirewall) \(IptablesComment("block incoming localnet connections").match) -d 127.0.0.0/8 ! -s 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP")
        }
        for rules in contributions { writer.lines(rules.filterTopLevel) }
        if !settings.conntrackTCPBeLiberal {
            writer.line("-A \(IptablesNames.forward) -m conntrack --ctstate INVALID -j DROP")
        }
        writer.line("-A \(IptablesNames.forward) \(IptablesComment("kubernetes forwarding rules").match) -m mark --mark \(settings.mark)/\(settings.mark) -j ACCEPT")
        writer.line("-A \(IptablesNames.forward) \(IptablesComment("kubernetes forwarding conntrack rule").match) -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT")
        for chain in staleFilter.sorted() { writer.line("-X \(chain)") }
        writer.marker("COMMIT")

        // nat
        writer.marker("*nat")
        for chain in Self.natTopLevelChains { writer.declare(chain) }
        jumpLines("nat", rendering.jumps, kernel: kernel, into: &writer)
        if settings.flavour == .nft { writer.marker(Self.nftChainCacheListing) }
        for rules in contributions {
            for chain in rules.chains { writer.declare(chain.name) }
        }
        for chain in staleNat.sorted() { writer.declare(chain) }
        writer.line(Self.canaryRule)
        writer.line("-A \(IptablesNames.postrouting) -m mark ! --mark \(settings.mark)/\(settings.mark) -j RETURN")
        // Cleared so that a packet crossing the stack again is not masqueraded twice.
        writer.line("-A \(IptablesNames.postrouting) -j MARK --xor-mark \(settings.mark)")
        writer.line("-A \(IptablesNames.postrouting) \(IptablesComment("kubernetes service traffic requiring SNAT").match) -j MASQUERADE --random-fully")
        writer.line("-A \(IptablesNames.markMasquerade) -j MARK --or-mark \(settings.mark)")
        writeNatTopLevel(rendering, into: &writer)
        for rules in contributions {
            for chain in rules.chains { writer.lines(chain.rules) }
        }
        for chain in staleNat.sorted() { writer.line("-X \(chain)") }
        writer.marker("COMMIT")
        return (writer.input(state.family), rendering, warnings)
    }

    /// A chain-less listing of the table, written before the per Service port chains of a full nft input.
    ///
    /// iptables-nft (1.8.9) keeps the chains a restore names in a sorted linked list, walked for every command,
    /// so a 10,000-Service input (110,000 commands naming 30,000 chains) spends over a minute in `strcmp`
    /// (perf: three quarters of its time). One command without a chain makes it fetch all chains at once
    /// instead and skip that list: the same input then loads in about 3 s. The listing's output is discarded;
    /// it costs a dump of the table (about a second at 10,000 Services, nothing at start-up). The legacy
    /// flavour has no such list, and refuses to list chains created in the same input.
    static let nftChainCacheListing = "-S"

    /// The nat table's top-level chains, in the order they are declared.
    static let natTopLevelChains = [
        IptablesNames.services, IptablesNames.nodePorts, IptablesNames.postrouting, IptablesNames.markMasquerade, IptablesNames.canary,
    ]

    /// The filter table's top-level chains, in the order they are declared.
    func topLevelFilterChains(localnet: Bool) -> [String] {
        [IptablesNames.services, IptablesNames.externalServices, IptablesNames.forward, IptablesNames.nodePorts, IptablesNames.proxyFirewall]
            + (localnet ? [IptablesNames.localnetFirewall] : []) + [IptablesNames.canary]
    }

    /// Every port's rules in `PROXYD-SERVICES` and `PROXYD-NODEPORTS`, then the jump to the NodePorts, which
    /// must stay the last rule of `PROXYD-SERVICES`.
    private func writeNatTopLevel(_ rendering: IptablesRendering, into writer: inout IptablesInputWriter) {
        for name in rendering.order { writer.lines(rendering.ports[name]!.natTopLevel) }
        let comment = IptablesComment("kubernetes service nodeports; NOTE: this must be the last rule in this chain").match
        switch rendering.node.nodePortAddresses {
        case .allLocal:
            let exclude: String
            if rendering.family == .ipv6 {
                exclude = " ! -d ::1/128"  // localhost NodePorts never work over IPv6
            } else {
                exclude = settings.servesLocalhostNodePorts(.ipv4, rendering.node) ? "" : " ! -d 127.0.0.0/8"
            }
            writer.line("-A \(IptablesNames.services) \(comment) -m addrtype --dst-type LOCAL\(exclude) -j \(IptablesNames.nodePorts)")
        case .addresses(let addresses):
            for address in addresses {
                if address.isLoopback && !settings.servesLocalhostNodePorts(rendering.family, rendering.node) { continue }
                writer.line("-A \(IptablesNames.services) \(comment) -d \(address) -j \(IptablesNames.nodePorts)")
            }
        }
    }

    /// The jumps from built-in chains: with a committed view, a check for each one committed (`-C`) and changes
    /// for the rest; with a listing, deletions of copies and of jumps no longer wanted, insertions of the
    /// missing ones (at the top of the chain, in kube-proxy's order).
    private func jumpLines(_ table: String, _ required: [IptablesJump], kernel: KernelView?, into writer: inout IptablesInputWriter) {
        let wanted = required.filter { $0.table == table }
        switch kernel {
        case .committed(let committed):
            let had = committed.jumps.filter { $0.table == table }
            for jump in had where !wanted.contains(jump) { writer.line("-D \(jump.chain) \(jump.spec)") }
            for jump in wanted where had.contains(jump) {
                writer.check("-C \(jump.chain) \(jump.spec)", meaning: "the jump from \(jump.chain) to \(jump.target) in \(table) is gone")
            }
            for jump in wanted where !had.contains(jump) { writer.line("-I \(jump.chain) 1 \(jump.spec)") }
        case .listed(let listing):
            var kept = Set<[String]>()
            for jump in listing[table].jumps {
                let key = [jump.chain, jump.target]
                if wanted.contains(where: { [$0.chain, $0.target] == key }) && kept.insert(key).inserted { continue }
                writer.line("-D" + jump.rule.dropFirst(2))
            }
            for jump in wanted where !kept.contains([jump.chain, jump.target]) { writer.line("-I \(jump.chain) 1 \(jump.spec)") }
        case nil:
            for jump in wanted { writer.line("-I \(jump.chain) 1 \(jump.spec)") }
        }
    }

    /// Removes proxyd's chains and jumps from a family that is no longer served.
    private func removal(_ family: IPFamily, _ view: KernelView) -> IptablesRestoreInput {
        var writer = IptablesInputWriter()
        writer.marker("# \(family): no longer served; removing proxyd's chains")
        for table in ProxydNames.iptablesTables {
            let chains: [String]
            var deletions: [String] = []
            switch view {
            case .committed(let committed):
                chains = (table == "filter" ? committed.filterChains : Self.natTopLevelChains + committed.portChains.sorted())
                deletions = committed.jumps.filter { $0.table == table }.map { "-D \($0.chain) \($0.spec)" }
            case .listed(let listing):
                chains = listing[table].chains.subtracting(listing[table].referencedByOthers).sorted()
                deletions = listing[table].jumps.map { "-D" + $0.rule.dropFirst(2) }
            }
            if chains.isEmpty && deletions.isEmpty { continue }
            writer.marker("*\(table)")
            for chain in chains { writer.declare(chain) }
            writer.lines(deletions)
            for chain in chains { writer.line("-X \(chain)") }
            writer.marker("COMMIT")
        }
        return writer.input(family)
    }

    // MARK: Partial

    /// A partial transaction applying `diffs`, updating `committed` in place to what it commits; nil when one of
    /// the families needs a full sync instead (node settings changed, large cluster mode flips, or the family
    /// has no committed rendering). `committed` is unchanged when nil is returned.
    ///
    /// - Important: Work is proportional to the changed ports plus, when their top-level rules changed, the
    ///   top-level chains (one or two lines per Service port). If the input is refused, `committed` no longer
    ///   describes the kernel: list the tables and sync in full.
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

        var oldTop: [ServicePortName: ([String], [String])] = [:]
        var oldChains: [String: IptablesChain] = [:]
        for rules in oldRules {
            oldTop[rules.name] = (rules.natTopLevel, rules.filterTopLevel)
            for chain in rules.chains { oldChains[chain.name] = chain }
        }
        for name in oldNames { rendering.remove(name) }
        var natTopChanged = false
        var filterTopChanged = false
        var newChains: [String: IptablesChain] = [:]
        var written: [IptablesChain] = []
        var touchedClaims = Set<String>()
        for rules in oldRules { touchedClaims.formUnion(rules.claims) }
        for rules in newRules {
            rendering.insert(rules)
            touchedClaims.formUnion(rules.claims)
            let before = oldTop.removeValue(forKey: rules.name) ?? ([], [])
            natTopChanged = natTopChanged || before.0 != rules.natTopLevel
            filterTopChanged = filterTopChanged || before.1 != rules.filterTopLevel
            for chain in rules.chains {
                newChains[chain.name] = chain
                if oldChains[chain.name] != chain { written.append(chain) }
            }
        }
        // Ports removed for good.
        for (natTop, filterTop) in oldTop.values {
            natTopChanged = natTopChanged || !natTop.isEmpty
            filterTopChanged = filterTopChanged || !filterTop.isEmpty
        }
        let stale = Set(oldChains.keys).subtracting(newChains.keys).sorted()

        var writer = IptablesInputWriter(reserving: natTopChanged ? rendering.order.count * 300 : 4096)
        writer.marker("# \(diff.family): -\(diff.removed.count) +\(diff.added.count) ~\(diff.changed.count) Service ports, partial sync")
        let flushed = "the table was flushed (\(IptablesNames.canary) lost its rule)"
        writer.marker("*filter")
        writer.check(Self.canaryCheck, meaning: "filter: " + flushed)
        if filterTopChanged {
            let chains = [IptablesNames.services, IptablesNames.externalServices, IptablesNames.nodePorts, IptablesNames.proxyFirewall]
            for chain in chains { writer.declare(chain) }
            for name in rendering.order { writer.lines(rendering.ports[name]!.filterTopLevel) }
        }
        writer.marker("COMMIT")
        writer.marker("*nat")
        writer.check(Self.canaryCheck, meaning: "nat: " + flushed)
        if natTopChanged {
            writer.declare(IptablesNames.services)
            writer.declare(IptablesNames.nodePorts)
        }
        for chain in written { writer.declare(chain.name) }
        for chain in stale { writer.declare(chain) }
        if natTopChanged { writeNatTopLevel(rendering, into: &writer) }
        for chain in written { writer.lines(chain.rules) }
        for chain in stale { writer.line("-X \(chain)") }
        writer.marker("COMMIT")
        return (writer.input(diff.family), rendering.conflicts(among: touchedClaims))
    }
}
