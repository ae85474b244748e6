import ServiceModel

/// IPVS mode's part of a sync, as the generic sync engine drives it: per served family one `IPVSPlanner` (virtual
/// and real servers, bound addresses), one `IPVSIPSetRenderer` built from it, and IPVS mode's fixed iptables rules —
/// applied through one `IPVSModeKernel`.
///
/// - **Full** (start-up, after any failure, periodically): always from a listing (`listsBeforeFullSync` is true):
///   the IPVS dump, the sets and the tables of both families, and the node's addresses — NodePort virtual servers
///   go on every node address outside the dummy interface (or `--nodeport-addresses`'), re-read at every full sync.
///   The node settings, every set (created or swapped), every rule, then the IPVS plan; a family no longer served
///   loses its rules and sets (its virtual servers are left to `--cleanup`, as the planner never touches another
///   family's).
/// - **Partial** (a change): ipset `add`/`del` and IPVS operations for exactly what the diff changes, from the
///   committed state alone: O(size of the diff), never a rescan of every virtual server.
/// - **Failures**: nothing of IPVS mode is one transaction, so any refusal throws and the next sync is full from a
///   listing (the engine does it at once when a partial sync is refused). IPVS refusals are collected over every
///   family before throwing (`partiallyApplied`), so one bad Service does not hold back the others.
/// - **Maintenance**: removed TCP real servers are drained at weight 0; `maintain` deletes those with no connection
///   left, every `drainCheckInterval` while any is draining.
///
/// - Important: Rendering (`full`, `partial`) is pure; everything else goes through `kernel`.
public struct IPVSProgram: Sendable {
    public typealias Committed = [IPFamily: IPVSRendering]
    public typealias Listing = IPVSListing

    public let kernel: any IPVSModeKernel
    /// Scheduler, excluded CIDRs, strict ARP.
    public let settings: IPVSSettings
    public let rules: IPVSIptablesRenderer
    /// How often drained real servers are checked for connections. A reset connection leaves IPVS's count about
    /// 10 s after it ends; a closed one stays in TIME_WAIT for 2 minutes (kube-proxy checks every minute).
    public let drainCheckInterval: Duration

    public init(
        kernel: any IPVSModeKernel, settings: IPVSSettings, iptables: IPVSIptablesSettings = IPVSIptablesSettings(),
        drainCheckInterval: Duration = .seconds(15)
    ) {
        self.kernel = kernel
        self.settings = settings
        rules = IPVSIptablesRenderer(settings: iptables)
        self.drainCheckInterval = drainCheckInterval
    }

    // MARK: Rendering (pure)

    /// A full transaction for `states` from `listed`. `committed` is not needed: IPVS plans from what the kernel
    /// holds. Without a listing (the dry run) the kernel is taken to hold nothing of proxyd's and the node's
    /// addresses to be its node IPs.
    public func full(_ states: [DesiredState], committed: Committed?, listed: Listing?) -> RenderedTransaction<IPVSTransaction, Committed> {
        let listing = listed ?? IPVSListing(localAddresses: states.flatMap(\.node.nodeIPs))
        var transaction = IPVSTransaction(tuning: IPVSNodeTuning.settings(strictARP: settings.strictARP), isFull: true)
        var rendered: Committed = [:]
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
        for family in IPFamily.allCases where !served.contains(family) {
            let removal = IPVSTransaction.Family(
                family: family, rules: rules.removal(family, listing: listing.rules[family] ?? IptablesTableListing()),
                staleSets: Self.destroyingSets(of: family, in: listing.sets))
            if !removal.isEmpty { transaction.families.append(removal) }
        }
        return RenderedTransaction(transaction: transaction, committed: rendered, warnings: warnings)
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
    public func partial(_ diffs: [DesiredStateDiff], states: [DesiredState], committed: inout Committed) -> (IPVSTransaction, warnings: [String])? {
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

    // MARK: The driver

    /// Always: IPVS is planned from what the kernel holds (its connection counts decide drains), and the sets and
    /// rules are swapped in whole.
    public func listsBeforeFullSync(trusting committed: Committed?) -> Bool { true }

    /// The IPVS dump of every served family, every set, both families' tables (a family no longer served has
    /// rules to remove; one whose tables cannot be read has none), and the node's addresses.
    public func list(_ families: [IPFamily]) async throws(BackendSyncError) -> Listing {
        var listing = IPVSListing()
        for family in families {
            do {
                listing.ipvs[family] = try await kernel.listIPVS(family)
            } catch {
                throw BackendSyncError(error.isMissingFromKernel ? .unavailable : .failed, message: "cannot list IPVS (\(family)): \(error)")
            }
        }
        do {
            listing.sets = try await kernel.listSets()
        } catch {
            throw BackendSyncError(error.code == .notInstalled ? .unavailable : .failed, message: "cannot list the ipsets: \(error)")
        }
        for family in IPFamily.allCases {
            do {
                listing.rules[family] = try await kernel.listRules(family)
            } catch where !families.contains(family) {
                continue  // e.g. no IPv6 in the kernel: nothing of proxyd's can be there
            } catch {
                throw BackendSyncError(error.code == .notInstalled ? .unavailable : .failed, message: "cannot list the iptables rules: \(error)")
            }
        }
        listing.localAddresses = await kernel.localAddresses()
        return listing
    }

    /// Applies `transaction` in order: node settings, sets, rules, IPVS operations (every family's, also past a
    /// refusal), stale sets.
    ///
    /// - Throws: `BackendSyncError`: `unavailable` when a node setting cannot be set; the tool's refusal (`refused`,
    ///   `stale` for a flushed table) when nothing was changed yet; `partiallyApplied` once something was. The
    ///   message names the refused line or operations.
    public func apply(_ transaction: IPVSTransaction) async throws(BackendSyncError) {
        if !transaction.tuning.isEmpty {
            let report = await kernel.tune(transaction.tuning)
            guard report.warnings.isEmpty else {
                throw BackendSyncError(
                    .unavailable, message: "IPVS mode needs these node settings: " + report.warnings.joined(separator: "; "),
                    transaction: transaction.text)
            }
        }
        var changed = false
        func failure(_ code: BackendSyncErrorCode, _ message: String) -> BackendSyncError {
            BackendSyncError(changed ? .partiallyApplied : code, message: message, transaction: transaction.text)
        }
        for part in transaction.families where !part.sets.isEmpty {
            do {
                try await kernel.restoreSets(part.sets)
            } catch {
                throw failure(error.code == .notInstalled ? .unavailable : error.code == .refused ? .refused : .failed, error.description)
            }
            changed = true
        }
        for part in transaction.families where !part.rules.isEmpty {
            do {
                try await kernel.restoreRules(part.rules)
            } catch {
                let code: BackendSyncErrorCode =
                    switch error.code {
                    case .checkFailed: .stale
                    case .refused: .refused
                    case .notInstalled: .unavailable
                    case .failed: .failed
                    }
                throw failure(code, error.description)
            }
            changed = true
        }
        var refusals: [String] = []
        for part in transaction.families where !part.operations.isEmpty {
            do {
                try await kernel.applyIPVS(part.operations)
            } catch {
                refusals.append("\(part.family): \(error)")
                changed = changed || error.applied > 0
            }
        }
        if !refusals.isEmpty { throw failure(.refused, refusals.joined(separator: "\n")) }
        for part in transaction.families where !part.staleSets.isEmpty {
            do {
                try await kernel.restoreSets(part.staleSets)
            } catch {
                throw failure(.failed, error.description)
            }
        }
    }

    /// False: IPVS has no way to validate operations without applying them, and ipset's and iptables' checks alone
    /// would not tell which Service the kernel refuses. A refused Service fails its operations alone (the driver
    /// goes on past them) and the next sync is full.
    public var canCheck: Bool { false }

    /// Validates nothing (see `canCheck`).
    public func check(_ transaction: IPVSTransaction) async throws(BackendSyncError) {}

    /// The canary rule of each served family's tables is still there (one `iptables-restore` with two checks per
    /// family; nothing is changed); nil when it is.
    public func verify(_ committed: Committed) async -> BackendSyncError? {
        for family in committed.keys.sorted(by: { $0.rawValue < $1.rawValue }) {
            let input = IPVSIptablesRenderer.canaryCheck(family)
            do {
                try await kernel.restoreRules(input)
            } catch {
                return BackendSyncError(error.code == .checkFailed ? .stale : .failed, message: error.description, transaction: input.text)
            }
        }
        return nil
    }

    // MARK: Maintenance

    /// `drainCheckInterval` while some TCP real server is draining; nil otherwise.
    public func maintenanceInterval(_ committed: Committed) -> Duration? {
        committed.values.contains { !$0.ipvs.draining.isEmpty } ? drainCheckInterval : nil
    }

    /// Deletes the draining real servers no connection uses any more (one dump per virtual server with draining
    /// real servers, one request per deletion), updating `committed`; nil when none could go yet.
    public func maintain(_ committed: inout Committed) async throws(BackendSyncError) -> (IPVSTransaction, warnings: [String])? {
        var transaction = IPVSTransaction(isFull: false)
        for family in committed.keys.sorted(by: { $0.rawValue < $1.rawValue }) {
            guard let state = committed[family]?.ipvs, !state.draining.isEmpty else { continue }
            let listed: [IPVSVirtualService: [IPVSRealServerStatus]]
            do {
                listed = try await kernel.realServers(of: state.draining.keys.sorted())
            } catch {
                throw BackendSyncError(.failed, message: "cannot list the draining real servers (\(family)): \(error)")
            }
            let plan = state.planner.finishDrains(state, listed: listed)
            guard !plan.isEmpty else { continue }
            let part = IPVSTransaction.Family(family: family, operations: plan.operations)
            do {
                try await kernel.applyIPVS(plan.operations)
            } catch {
                throw BackendSyncError(.partiallyApplied, message: "\(family): \(error)", transaction: IPVSTransaction(families: [part], isFull: false).text)
            }
            committed[family]!.ipvs = plan.committed
            transaction.families.append(part)
        }
        return transaction.isEmpty ? nil : (transaction, [])
    }
}

extension IPVSTransaction {
    /// An IPVS plan and sets' input of one family, as `IPVSProgram` builds them.
    init(families: [Family], isFull: Bool) {
        self.init(tuning: [], families: families, isFull: isFull)
    }
}
