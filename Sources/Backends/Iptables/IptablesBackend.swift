import ServiceModel

/// The iptables backend: the generic sync engine over iptables' renderer and driver.
///
/// - **Partial** (most syncs): kube-proxy's MinimizeIPTablesRestore; each table's section checks the canary rule
///   first, so a table someone flushed refuses the input untouched (`stale`) and the sync continues in full. Any
///   other refusal fails the sync; the next one is full.
/// - **Full from memory** (forced, periodic, node settings changed): rewrites every chain, deletes the ones no
///   longer used, and checks the jumps from built-in chains (`-C`); a failed check makes it full from a listing.
/// - **Full from a listing** (start-up, after any failure): lists the tables with `iptables-save`, replaces
///   everything of proxyd's and removes what an earlier process left.
/// - **Refused Service ports** are isolated with `iptables-restore --test`, which catches what iptables refuses
///   while parsing (a value it does not take, a missing chain); a refusal only the kernel makes fails the sync
///   whole. See `SyncEngine`.
public typealias IptablesBackend = SyncEngine<IptablesProgram>

extension SyncEngine where Program == IptablesProgram {
    /// A backend programming the kernel through `driver`; `settings.flavour` is set to the driver's (the input is
    /// written for the iptables that reads it).
    public init(driver: any IptablesKernel, settings: IptablesSettings) {
        self.init(IptablesProgram(kernel: driver, settings: settings))
    }
}

/// iptables' part of a sync: `IptablesRenderer` and the driver.
public struct IptablesProgram: KernelProgram {
    public typealias Committed = [IPFamily: IptablesRendering]
    public typealias Listing = [IPFamily: IptablesTableListing]

    public static let mode = ProxyMode.iptables
    /// Periodic syncs check the canary rule of each table (a flushed table is rewritten at once); a full sync at
    /// least hourly, as kube-proxy's iptables mode (a full input at 10,000 Services takes seconds).
    public static let resync = ResyncPolicy(periodic: .verify, fullSyncPeriod: ResyncPolicy.kubeProxyFullSyncPeriod)
    /// A refused partial restore is a failed sync, as in kube-proxy (`iptables_partial_restore_failures_total`
    /// counts them): nothing of its table changed, and the next sync lists the tables and replaces proxyd's chains.
    public static let failsRefusedPartialSyncs = true
    public let kernel: any IptablesKernel
    public let renderer: IptablesRenderer

    public init(kernel: any IptablesKernel, settings: IptablesSettings) {
        self.kernel = kernel
        var settings = settings
        settings.flavour = kernel.flavour
        renderer = IptablesRenderer(settings: settings)
    }

    public func full(_ states: [DesiredState], committed: Committed?, listed: Listing?) -> RenderedTransaction<IptablesTransaction, Committed> {
        let kernel: [IPFamily: IptablesRenderer.KernelView]
        if let committed {
            kernel = committed.mapValues { .committed($0) }
        } else {
            kernel = (listed ?? [:]).mapValues { .listed($0) }
        }
        let output = renderer.full(states, kernel: kernel)
        return RenderedTransaction(transaction: output.transaction, committed: output.renderings, warnings: output.warnings)
    }

    public func partial(
        _ diffs: [DesiredStateDiff], states: [DesiredState], committed: inout Committed
    ) -> (IptablesTransaction, warnings: [String])? {
        guard Set(committed.keys) == Set(states.map(\.family)) else { return nil }
        return renderer.partial(diffs, committed: &committed)
    }

    public func listsBeforeFullSync(trusting committed: Committed?) -> Bool { committed == nil }

    public func list(_ families: [IPFamily]) async throws(BackendSyncError) -> Listing {
        var listings: Listing = [:]
        for family in families {
            do {
                listings[family] = try await kernel.listing(family)
            } catch {
                throw error.syncError(transaction: "")
            }
        }
        return listings
    }

    /// Restores family by family; stops at the first refusal.
    public func apply(_ transaction: IptablesTransaction) async throws(BackendSyncError) {
        for input in transaction.inputs where !input.isEmpty {
            do {
                try await kernel.restore(input)
            } catch {
                throw error.syncError(transaction: transaction.text)
            }
        }
    }

    public var canCheck: Bool { true }

    public func check(_ transaction: IptablesTransaction) async throws(BackendSyncError) {
        for input in transaction.inputs where !input.isEmpty {
            do {
                try await kernel.test(input)
            } catch {
                throw error.syncError(transaction: transaction.text)
            }
        }
    }

    /// The canary rule of each table is still there (one check per table; nothing is changed).
    public func verify(_ committed: Committed) async -> BackendSyncError? {
        for family in committed.keys.sorted(by: { $0.rawValue < $1.rawValue }) {
            var text = ""
            var checks: [Int: String] = [:]
            for table in ["filter", "nat"] {
                text += "*\(table)\n"
                checks[text.count(where: { $0 == "\n" }) + 1] = "the \(table) table no longer holds proxyd's rules (someone flushed it)"
                text += IptablesRenderer.canaryCheck + "\nCOMMIT\n"
            }
            do {
                try await kernel.restore(IptablesRestoreInput(family: family, text: text, checks: checks))
            } catch {
                return error.syncError(transaction: text)
            }
        }
        return nil
    }
}

extension IptablesTransaction: KernelTransaction {}

extension IptablesError {
    /// The sync error for a failed restore or listing: a failed check means the tables no longer hold what was
    /// committed.
    func syncError(transaction: String) -> BackendSyncError {
        let syncCode: BackendSyncError.Code =
            switch code {
            case .checkFailed: .stale
            case .refused: .refused
            case .notInstalled: .unavailable
            case .failed: .failed
            }
        return BackendSyncError(syncCode, message: description, summary: summary, transaction: transaction)
    }

    /// iptables' complaint in one line, without the quoted input, for warnings about one Service port.
    public var summary: String {
        var text = message
        if let checkMeaning { text += " — \(checkMeaning)" }
        return text
    }
}
