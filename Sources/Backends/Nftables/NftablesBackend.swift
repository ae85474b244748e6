import ServiceModel

/// The nftables backend: renders desired states into transactions and applies them through the driver,
/// keeping what is committed in memory so that most syncs send only differences.
///
/// A full sync happens first, after any failure, when node settings change, and when asked; everything else
/// is partial and never lists the kernel's table.
public actor NftablesBackend: Backend {
    public nonisolated let mode = "nftables"
    private let driver: NftablesDriver
    private let renderer = NftablesRenderer()
    /// What the kernel holds; nil when unknown (start-up, or after a refused partial sync), which makes the
    /// next full sync replace the tables instead of refilling them.
    private var committed: [IPFamily: NftablesRendering]?
    private var committedNode: [IPFamily: DesiredState.NodeSettings] = [:]
    private var needsFullSync = true

    public init(driver: NftablesDriver) {
        self.driver = driver
    }

    public func sync(_ states: [DesiredState], changes: [DesiredStateDiff]?, forceFull: Bool) async throws(BackendSyncError) -> SyncResult {
        let nodes = Dictionary(uniqueKeysWithValues: states.map { ($0.family, $0.node) })
        let canBePartial = !forceFull && !needsFullSync && committed != nil && nodes == committedNode
            && changes.map { diffs in diffs.allSatisfy { $0.node == nil } && Set(diffs.map(\.family)).isSubset(of: nodes.keys) } == true
        if canBePartial, let changes, var renderings = committed.take() {
            let (transaction, warnings) = renderer.partial(changes, committed: &renderings)
            if transaction.isEmpty {
                committed = renderings
                return SyncResult(isFull: false, transaction: "", warnings: warnings)
            }
            do {
                try await driver.apply(transaction)
            } catch {
                // `renderings` now describes the refused transaction: forget it and replace next time.
                needsFullSync = true
                throw BackendSyncError(message: error.description, transaction: transaction.text)
            }
            committed = renderings
            return SyncResult(isFull: false, transaction: transaction.text, warnings: warnings)
        }
        let output = renderer.full(states, previous: committed)
        do {
            try await driver.apply(output.transaction)
        } catch {
            needsFullSync = true
            throw BackendSyncError(message: error.description, transaction: output.transaction.text)
        }
        committed = output.renderings
        committedNode = nodes
        needsFullSync = false
        return SyncResult(isFull: true, transaction: output.transaction.text, warnings: output.warnings)
    }

    /// Deletes proxyd's tables (both families) in one transaction and nothing else.
    public func cleanup() async throws(BackendSyncError) {
        let transaction = NftablesRenderer.cleanupTransaction
        do {
            try await driver.apply(transaction)
        } catch {
            throw BackendSyncError(message: error.description, transaction: transaction.text)
        }
        committed = nil
        needsFullSync = true
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
