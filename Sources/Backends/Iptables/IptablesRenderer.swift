import ServiceModel

/// Turns desired states into `iptables-restore --noflush` input: a pure, deterministic function (same input,
/// same bytes). See README.md in this folder for the layout.
///
/// A full input rewrites every chain of proxyd's and deletes the ones no longer wanted; a partial one rewrites
/// only the changed ports' own chains, deletes the chains the change made stale (kube-proxy's
/// MinimizeIPTablesRestore), and edits the changed ports' rules in the top-level chains in place
/// (`IptablesRenderer+Partial.swift`).
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
        rendering.reserveCapacity(ports.count)
        // Written from this array, in order, without looking each port up again.
        let contributions = ports.map { portRenderer.rules(for: $0) }
        for rules in contributions { rendering.append(rules) }
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
        for rules in contributions { writer.lines(rules.natTopLevel) }
        writeNodePortsJump(rendering, into: &writer)
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

    /// The jump to `PROXYD-NODEPORTS`, which must stay the last rule of `PROXYD-SERVICES`: written after every
    /// port's rules by a full sync; a partial one inserts a port's rules at positions before it.
    private func writeNodePortsJump(_ rendering: IptablesRendering, into writer: inout IptablesInputWriter) {
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
}
