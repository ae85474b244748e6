import ServiceModel

/// The nftables backend: the generic sync engine over nftables' renderer and driver.
///
/// Partial syncs send only element and chain changes and never list the kernel's table; a full sync flushes and
/// refills the tables when what is committed is trusted (ClientIP affinity entries survive it), and deletes and
/// recreates them otherwise. Refused Service ports are isolated with nft's dry run. See `SyncEngine`.
public typealias NftablesBackend = SyncEngine<NftablesProgram>

extension SyncEngine where Program == NftablesProgram {
    /// A backend programming the kernel through `driver` (libnftables, or a fake).
    public init(driver: any NftablesKernel) {
        self.init(NftablesProgram(kernel: driver))
    }
}

/// nftables' part of a sync: `NftablesRenderer` and the driver.
public struct NftablesProgram: KernelProgram {
    public typealias Committed = [IPFamily: NftablesRendering]
    public typealias Listing = Void

    public static let mode = ProxyMode.nftables
    /// Periodic syncs check that the tables still hold proxyd's hooks (a `nft flush ruleset` by a firewall reload
    /// would remove them); a full sync at least hourly, as kube-proxy's nftables mode.
    public static let resync = ResyncPolicy(periodic: .verify, fullSyncPeriod: ResyncPolicy.kubeProxyFullSyncPeriod)
    public let kernel: any NftablesKernel
    private let renderer = NftablesRenderer()

    public init(kernel: any NftablesKernel) {
        self.kernel = kernel
    }

    public func full(_ states: [DesiredState], committed: Committed?, listed: Void?) -> RenderedTransaction<NftablesTransaction, Committed> {
        let output = renderer.full(states, previous: committed)
        return RenderedTransaction(transaction: output.transaction, committed: output.renderings, warnings: output.warnings)
    }

    public func partial(
        _ diffs: [DesiredStateDiff], states: [DesiredState], committed: inout Committed
    ) -> (NftablesTransaction, warnings: [String])? {
        renderer.partial(diffs, committed: &committed)
    }

    public func apply(_ transaction: NftablesTransaction) async throws(BackendSyncError) {
        do {
            try await kernel.apply(transaction)
        } catch {
            throw error.syncError(transaction: transaction)
        }
    }

    public var canCheck: Bool { true }

    public func check(_ transaction: NftablesTransaction) async throws(BackendSyncError) {
        do {
            try await kernel.check(transaction)
        } catch {
            throw error.syncError(transaction: transaction)
        }
    }

    /// Each table still hooks proxyd's dispatch (`nat-prerouting` jumps to `services`): listing one chain reads
    /// only the table's chains and sets, never the elements, so it costs the same at any cluster size.
    public func verify(_ committed: Committed) async -> BackendSyncError? {
        for family in committed.keys.sorted(by: { $0.rawValue < $1.rawValue }) {
            let table = "\(NftablesSyntax(family: family).tableFamily) \(NftablesNames.table)"
            do {
                let listing = try await kernel.list("list chain \(table) nat-prerouting")
                guard listing.contains("jump services") else {
                    return BackendSyncError(.stale, message: "table \(table) no longer holds proxyd's rules")
                }
            } catch {
                return BackendSyncError(.stale, message: "table \(table) is gone (\(error.summary))")
            }
        }
        return nil
    }
}

extension NftablesTransaction: KernelTransaction {}

extension NftablesError {
    /// The sync error for a refused `transaction`: nothing of it was applied.
    func syncError(transaction: NftablesTransaction) -> BackendSyncError {
        BackendSyncError(
            code == .permissionDenied ? .unavailable : .refused, message: description, summary: summary,
            transaction: transaction.text)
    }
}

extension NftablesRenderer {
    /// Deletes proxyd's tables; `add table` first makes it succeed when they were never there.
    public static var cleanupTransaction: NftablesTransaction {
        NftablesTransaction(
            lines: IPFamily.allCases.flatMap { family -> [String] in
                let table = "\(NftablesSyntax(family: family).tableFamily) \(NftablesNames.table)"
                return ["add table \(table)", "delete table \(table)"]
            }, isFull: true)
    }
}
