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
    /// The renderings and states of the last successful sync; nil until the first one.
    private var committed: (renderings: [IPFamily: NftablesRendering], states: [IPFamily: DesiredState])?
    private var needsFullSync = true

    public init(driver: NftablesDriver) {
        self.driver = driver
    }

    /// The transaction `sync` would apply now, without applying it.
    public func plan(_ states: [DesiredState], changedServices: Set<ObjectKey>? = nil, forceFull: Bool = false) -> NftablesRenderer.Output {
        guard let committed, !forceFull, !needsFullSync,
            Set(committed.states.keys) == Set(states.map(\.family)),
            states.allSatisfy({ committed.states[$0.family]?.node == $0.node })
        else {
            return renderer.full(states, previous: committed?.renderings)
        }
        let diffs = states.map { DesiredStateDiff(from: committed.states[$0.family]!, to: $0, services: changedServices) }
        return renderer.partial(diffs, committed: committed.renderings)
    }

    public func sync(_ states: [DesiredState], changedServices: Set<ObjectKey>?, forceFull: Bool) async throws(BackendSyncError) -> SyncResult {
        let output = plan(states, changedServices: changedServices, forceFull: forceFull)
        let transaction = output.transaction
        if !transaction.isFull && transaction.isEmpty {
            return SyncResult(isFull: false, transaction: "", warnings: output.warnings)
        }
        do {
            try await driver.apply(transaction)
        } catch {
            needsFullSync = true
            throw BackendSyncError(message: error.description, transaction: transaction.text)
        }
        committed = (output.renderings, Dictionary(uniqueKeysWithValues: states.map { ($0.family, $0) }))
        needsFullSync = false
        return SyncResult(isFull: transaction.isFull, transaction: transaction.text, warnings: output.warnings)
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
