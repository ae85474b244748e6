import ServiceModel

/// The IPVS backend: the generic sync engine over IPVS mode's program.
public typealias IPVSBackend = SyncEngine<IPVSProgram>

/// IPVS mode's part of a sync, as the generic sync engine drives it: `IPVSModeRenderer`'s transactions applied
/// through one `IPVSModeKernel`.
///
/// - **Full** (start-up, after any failure, periodically): always from a listing (`listsBeforeFullSync` is true):
///   the IPVS dump, the sets and the tables of both families, and the node's addresses — NodePort virtual servers
///   go on every node address outside the dummy interface (or `--nodeport-addresses`'), re-read at every full sync.
///   The node settings and IPVS's timeouts, every set (created or swapped), every rule, then the IPVS plan; a
///   family no longer served loses its rules, its virtual servers on the dummy interface's addresses (outside
///   `excludeCIDRs`), those addresses, then its sets.
/// - **Partial** (a change): ipset `add`/`del` and IPVS operations for exactly what the diff changes, from the
///   committed state alone: O(size of the diff), never a rescan of every virtual server.
/// - **Failures**: nothing of IPVS mode is one transaction, so any refusal throws and the next sync is full from a
///   listing (the engine does it at once when a partial sync is refused). IPVS refusals are collected over every
///   family before throwing (`partiallyApplied`), so one bad Service does not hold back the others.
/// - **Maintenance**: removed TCP real servers are drained at weight 0; `maintain` deletes those with no connection
///   left, every `drainCheckInterval` while any is draining.
///
/// - Important: Rendering (`full`, `partial`) is pure (`renderer`); everything else goes through `kernel`.
public struct IPVSProgram: KernelProgram {
    public typealias Committed = [IPFamily: IPVSRendering]
    public typealias Listing = IPVSListing

    public static let mode = ProxyMode.ipvs
    /// Every periodic sync is full, from the kernel's listing, as kube-proxy's IPVS mode does (it re-reads the node's
    /// addresses and finds what someone else changed in IPVS); hence no separate full-sync period matters.
    public static let resync = ResyncPolicy(periodic: .full, fullSyncPeriod: ResyncPolicy.kubeProxyFullSyncPeriod)

    public let kernel: any IPVSModeKernel
    public let renderer: IPVSModeRenderer
    /// How often drained real servers are checked for connections. A reset connection leaves IPVS's count about
    /// 10 s after it ends; a closed one stays in TIME_WAIT for 2 minutes (kube-proxy checks every minute).
    public let drainCheckInterval: Duration

    public init(
        kernel: any IPVSModeKernel, settings: IPVSSettings, iptables: IPVSIptablesSettings = IPVSIptablesSettings(),
        drainCheckInterval: Duration = .seconds(15)
    ) {
        self.kernel = kernel
        renderer = IPVSModeRenderer(settings: settings, iptables: iptables)
        self.drainCheckInterval = drainCheckInterval
    }

    // MARK: Rendering (pure)

    /// A full transaction for `states` from `listed` (`IPVSModeRenderer.full`).
    public func full(_ states: [DesiredState], committed: Committed?, listed: Listing?) -> RenderedTransaction<IPVSTransaction, Committed> {
        renderer.full(states, listed: listed)
    }

    /// A partial transaction for `diffs`, updating `committed` in place (`IPVSModeRenderer.partial`).
    public func partial(_ diffs: [DesiredStateDiff], states: [DesiredState], committed: inout Committed) -> (IPVSTransaction, warnings: [String])? {
        renderer.partial(diffs, states: states, committed: &committed)
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

    /// Applies `transaction` in order: node settings, IPVS's timeouts, sets, rules, IPVS operations (every family's,
    /// also past a refusal), stale sets.
    ///
    /// - Throws: `BackendSyncError`: `unavailable` when a node setting cannot be set, `refused` when the kernel refuses
    ///   the timeouts (both before anything else changed); the tool's refusal (`refused`,
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
        if let timeouts = transaction.timeouts {
            do {
                try await kernel.setTimeouts(timeouts)
            } catch {
                throw BackendSyncError(
                    error.isMissingFromKernel ? .unavailable : .refused,
                    message: "IPVS mode cannot set IPVS's connection timeouts (ipvs.tcpTimeout, tcpFinTimeout, udpTimeout: \(timeouts)): \(error)",
                    transaction: transaction.text)
            }
        }
        var changed = false
        func failure(_ code: BackendSyncError.Code, _ message: String) -> BackendSyncError {
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
                let code: BackendSyncError.Code =
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

