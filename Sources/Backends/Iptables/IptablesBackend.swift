import ServiceModel

/// The iptables backend: renders desired states into `iptables-restore` input and applies it through the
/// driver, keeping what is committed in memory so that most syncs send only what changed.
///
/// The bookkeeping, which issue 10 will make common to every backend, is only this:
/// - **Partial** when the caller allows it and a committed rendering exists for exactly the served families;
///   the input checks the canary rule of each table first, so a table someone flushed refuses the input
///   untouched, and the sync then continues as a full one.
/// - **Full, from memory** (forced, periodic, node settings changed): rewrites every chain, deletes the ones no
///   longer used, and checks that the jumps from built-in chains are still there.
/// - **Full, from a listing** (start-up, after any failure, after a failed check): lists the tables with
///   `iptables-save`, replaces everything of proxyd's and removes what an earlier process left.
/// - Any refused input forgets the committed state: the next sync lists and replaces.
public actor IptablesBackend: Backend {
    public nonisolated let mode = "iptables"
    public nonisolated let flavour: IptablesFlavour
    private let driver: IptablesDriver
    private let renderer: IptablesRenderer
    /// What the kernel holds, per family; nil when unknown (start-up, after a refused input).
    private var committed: [IPFamily: IptablesRendering]?

    /// `settings.flavour` is set to the driver's: the input is written for the iptables that reads it.
    public init(driver: IptablesDriver, settings: IptablesSettings) {
        self.driver = driver
        flavour = driver.flavour
        var settings = settings
        settings.flavour = driver.flavour
        renderer = IptablesRenderer(settings: settings)
    }

    public func sync(_ states: [DesiredState], changes: [DesiredStateDiff]?, forceFull: Bool) async throws(BackendSyncError) -> SyncResult {
        var notes: [String] = []
        // Taken out of `committed`, so that the partial render mutates the only copy (no copy of 10,000 ports).
        if !forceFull, let changes, var renderings = committed.take() {
            guard Set(renderings.keys) == Set(states.map(\.family)),
                let (transaction, warnings) = renderer.partial(changes, committed: &renderings)
            else {
                committed = renderings  // untouched: partial() changes nothing when it returns nil
                return try await full(states, notes: notes)
            }
            if transaction.isEmpty {
                committed = renderings
                return SyncResult(isFull: false, transaction: "", warnings: warnings)
            }
            do {
                try await apply(transaction)
                committed = renderings
                return SyncResult(isFull: false, transaction: transaction.text, warnings: warnings)
            } catch {
                committed = nil
                guard error.code == .checkFailed else {
                    throw BackendSyncError(message: error.description, transaction: transaction.text)
                }
                notes.append("\(error.description); replacing proxyd's rules")
            }
        }
        return try await full(states, notes: notes)
    }

    private func full(_ states: [DesiredState], notes: [String]) async throws(BackendSyncError) -> SyncResult {
        var notes = notes
        if let committed {
            let output = renderer.full(states, kernel: committed.mapValues { .committed($0) })
            do {
                try await apply(output.transaction)
                self.committed = output.renderings
                return SyncResult(isFull: true, transaction: output.transaction.text, warnings: notes + output.warnings)
            } catch {
                self.committed = nil
                guard error.code == .checkFailed else {
                    throw BackendSyncError(message: error.description, transaction: output.transaction.text)
                }
                notes.append("\(error.description); replacing proxyd's rules")
            }
        }
        var listings: [IPFamily: IptablesRenderer.KernelView] = [:]
        var output: IptablesRenderer.Output?
        do {
            for family in states.map(\.family) { listings[family] = .listed(try await driver.listing(family)) }
            output = renderer.full(states, kernel: listings)
            try await apply(output!.transaction)
        } catch {
            throw BackendSyncError(message: error.description, transaction: output?.transaction.text ?? "")
        }
        committed = output!.renderings
        return SyncResult(isFull: true, transaction: output!.transaction.text, warnings: notes + output!.warnings)
    }

    /// Restores family by family; stops at the first refusal.
    private func apply(_ transaction: IptablesTransaction) async throws(IptablesError) {
        for input in transaction.inputs where !input.isEmpty {
            try await driver.restore(input)
        }
    }

    /// Removes proxyd's chains and the jumps to them from both families (this flavour), and forgets them.
    public func cleanup() async throws(BackendSyncError) {
        committed = nil
        do {
            try await driver.removeAll()
        } catch {
            throw BackendSyncError(message: error.description, transaction: "")
        }
    }
}
