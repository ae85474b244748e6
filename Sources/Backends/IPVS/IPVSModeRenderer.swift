import ServiceModel

/// Renders IPVS mode's transactions (pure, deterministic): per served family one `IPVSPlanner` (virtual and real
/// servers, bound addresses), one `IPVSIPSetRenderer` built from it (so that the sets hold what IPVS programs), and
/// IPVS mode's fixed iptables rules. `IPVSProgram` applies what it renders; `--dry-run` prints `full(_:listed: nil)`.
public struct IPVSModeRenderer: Sendable {
    /// Scheduler, excluded CIDRs, strict ARP.
    public let settings: IPVSSettings
    public let rules: IPVSIptablesRenderer

    public init(settings: IPVSSettings, iptables: IPVSIptablesSettings = IPVSIptablesSettings()) {
        self.settings = settings
        rules = IPVSIptablesRenderer(settings: iptables)
    }

    /// A full transaction for `states` from `listed` (what the kernel holds: no committed state is needed). Without a
    /// listing (the dry run) the kernel is taken to hold nothing of proxyd's and the node's addresses to be its node IPs.
    public func full(_ states: [DesiredState], listed: IPVSListing?) -> RenderedTransaction<IPVSTransaction, [IPFamily: IPVSRendering]> {
        let listing = listed ?? IPVSListing(localAddresses: states.flatMap(\.node.nodeIPs))
        var transaction = IPVSTransaction(
            tuning: IPVSNodeTuning.settings(strictARP: settings.strictARP), timeouts: IPVSTimeouts(settings), isFull: true)
        var rendered: [IPFamily: IPVSRendering] = [:]
        var warnings: [String] = []
        for state in states {
            let family = state.family
            let planner = IPVSPlanner(settings: settings, for: state, localAddresses: listing.localAddresses)
            let plan = planner.plan(state, kernel: listing.ipvs[family] ?? IPVSKernelState())
            let sets = IPVSIPSetRenderer(planner: planner).full(state, listing: listing.sets)
            let (input, ruleWarnings) = rules.render(family, node: state.node, listing: listing.rules[family] ?? IptablesTableListing())
            transaction.families.append(
                IPVSTransaction.Family(family: family, operations: plan.operations, sets: sets.restore, rules: input, staleSets: sets.staleSets))
            rendered[family] = IPVSRendering(ipvs: plan.committed, sets: sets.contents)
            warnings += plan.warnings + ruleWarnings
        }
        let served = Set(states.map(\.family))
        // Every family's listing holds every virtual server and bound address, whatever their family.
        let listedIPVS = IPFamily.allCases.lazy.compactMap { listing.ipvs[$0] }.first ?? IPVSKernelState()
        for family in IPFamily.allCases where !served.contains(family) {
            let removal = IPVSTransaction.Family(
                family: family, operations: Self.removingVirtualServers(of: family, in: listedIPVS, settings: settings),
                rules: rules.removal(family, listing: listing.rules[family] ?? IptablesTableListing()),
                staleSets: Self.destroyingSets(of: family, in: listing.sets))
            if !removal.isEmpty { transaction.families.append(removal) }
        }
        return RenderedTransaction(transaction: transaction, committed: rendered, warnings: warnings)
    }

    /// A family no longer served: its virtual servers of proxyd's deleted — TCP, UDP and SCTP ones on an address of
    /// proxyd's dummy interface, outside `excludeCIDRs` (`--cleanup`'s rule: NodePort virtual servers on the node's own
    /// addresses cannot be told from someone else's, and stay) — then the family's addresses unbound.
    static func removingVirtualServers(of family: IPFamily, in kernel: IPVSKernelState, settings: IPVSSettings) -> [IPVSOperation] {
        let bound = Set(kernel.boundAddresses.filter { $0.family == family && !$0.isLinkLocal })
        let ours = kernel.virtualServers.map(\.service).filter { service in
            guard service.firewallMark == 0, service.transportProtocol != nil, let address = service.address else { return false }
            return bound.contains(address) && !settings.isExcluded(address)
        }
        return Set(ours).sorted().map(IPVSOperation.deleteVirtualServer) + bound.sorted().map(IPVSOperation.unbindAddress)
    }

    /// `ipset destroy` for every set of proxyd's of `family` in `listing`: a family no longer served.
    static func destroyingSets(of family: IPFamily, in listing: IPSetListing) -> IPSetRestoreInput {
        var writer = IPSetRestoreInput.Writer()
        let names = listing.sets.keys.filter { IPVSIPSet.family(ofSetNamed: $0) == family }.sorted()
        if !names.isEmpty { writer.comment("\(family): no longer served; removing proxyd's sets") }
        for name in names { writer.command("destroy \(name)") }
        return writer.input(family)
    }

    /// A partial transaction for `diffs`, updating `committed` in place; nil, with `committed` untouched, when one
    /// family cannot be planned partially (node settings changed, a set would outgrow its `maxelem`).
    ///
    /// - Important: The caller holds the only reference to `committed`, so that the sets' entries are edited
    ///   without a copy.
    public func partial(_ diffs: [DesiredStateDiff], states: [DesiredState], committed: inout [IPFamily: IPVSRendering]) -> (IPVSTransaction, warnings: [String])? {
        guard Set(committed.keys) == Set(states.map(\.family)) else { return nil }
        // Every family's IPVS plan first: planning changes nothing, so a family that cannot be planned partially
        // leaves `committed` untouched.
        var plans: [IPVSPlan] = []
        for diff in diffs {
            guard let rendering = committed[diff.family], let state = states.first(where: { $0.family == diff.family }),
                let plan = rendering.ipvs.planner.plan(diff, state: state, committed: rendering.ipvs)
            else { return nil }
            plans.append(plan)
        }
        // A second family's sets may refuse a partial edit after the first family's were edited: keep the way back
        // (a copy only with two families).
        let before = diffs.count > 1 ? committed : nil
        var transaction = IPVSTransaction(isFull: false)
        var warnings: [String] = []
        for (diff, plan) in zip(diffs, plans) {
            // Taken out of the dictionary, so that the sets' entries are edited in place.
            guard var rendering = committed.removeValue(forKey: diff.family) else { return nil }
            let renderer = rendering.sets.renderer
            guard let input = renderer.partial(diff, committed: &rendering.sets) else {
                committed[diff.family] = rendering
                if let before { committed = before }
                return nil
            }
            rendering.ipvs = plan.committed
            committed[diff.family] = rendering
            transaction.families.append(IPVSTransaction.Family(family: diff.family, operations: plan.operations, sets: input))
            warnings += plan.warnings
        }
        return (transaction, warnings)
    }
}
