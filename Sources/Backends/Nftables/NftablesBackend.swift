import ServiceModel

/// The nftables backend: renders desired states into transactions and applies them through the driver,
/// keeping what is committed in memory so that most syncs send only differences.
///
/// A full sync happens first, after any failure, when node settings change, and when asked; everything else
/// is partial and never lists the kernel's table.
///
/// One Service must never stop the others: when the kernel refuses a full transaction, the backend finds the
/// Service ports it refuses (halving the set with dry-run checks, which commit nothing), leaves them out with a
/// warning naming each, and programs everything else. A refused port stays out while it is unchanged; a change
/// to it is checked on its own before it joins a partial sync. A refused partial sync is answered at once with a
/// full one.
public actor NftablesBackend: Backend {
    public nonisolated let mode = "nftables"
    private let driver: NftablesDriver
    private let renderer = NftablesRenderer()
    /// What the kernel holds; nil when unknown (start-up, or after a refused sync), which makes the next full
    /// sync replace the tables instead of refilling them.
    private var committed: [IPFamily: NftablesRendering]?
    private var committedNode: [IPFamily: DesiredState.NodeSettings] = [:]
    private var needsFullSync = true
    /// Service ports left out because the kernel refused them, with the value it refused.
    private var refused: [IPFamily: [ServicePortName: Refusal]] = [:]

    struct Refusal: Sendable {
        var port: ServicePort
        var message: String
    }

    public init(driver: NftablesDriver) {
        self.driver = driver
    }

    public func sync(_ states: [DesiredState], changes: [DesiredStateDiff]?, forceFull: Bool) async throws(BackendSyncError) -> SyncResult {
        let nodes = Dictionary(uniqueKeysWithValues: states.map { ($0.family, $0.node) })
        let canBePartial = !forceFull && !needsFullSync && committed != nil && nodes == committedNode
            && changes.map { diffs in diffs.allSatisfy { $0.node == nil } && Set(diffs.map(\.family)).isSubset(of: nodes.keys) } == true
        var warnings: [String] = []
        if canBePartial, let changes, var renderings = committed.take() {
            let (diffs, newlyRefused) = await withoutRefusedPorts(changes, nodes: nodes)
            warnings += newlyRefused.map(\.description)
            let (transaction, renderWarnings) = renderer.partial(diffs, committed: &renderings)
            warnings += renderWarnings
            if transaction.isEmpty {
                committed = renderings
                return SyncResult(isFull: false, transaction: "", warnings: warnings, refusedServicePorts: refusedPorts)
            }
            do {
                try await driver.apply(transaction)
                committed = renderings
                return SyncResult(isFull: false, transaction: transaction.text, warnings: warnings, refusedServicePorts: refusedPorts)
            } catch {
                // `renderings` now describes the refused transaction, so the tables are replaced. Doing it now
                // rather than at the next sync means a refused Service costs one sync, not one failed sync each time.
                warnings.append("the kernel refused a partial sync (\(error.summary)); replacing proxyd's tables instead")
            }
        }
        return try await fullSync(states, nodes: nodes, warnings: warnings)
    }

    /// Every refused Service port, sorted.
    private var refusedPorts: [RefusedServicePort] {
        refused.flatMap { family, ports in
            ports.values.map { RefusedServicePort(family: family, name: $0.port.name, port: $0.port.port, message: $0.message) }
        }.sorted { ($0.family.rawValue, $0.name) < ($1.family.rawValue, $1.name) }
    }

    // MARK: Full syncs

    /// One Service port of one family's state, a candidate for the kernel to refuse.
    private struct Candidate {
        var state: Int
        var port: ServicePort
    }

    private func fullSync(
        _ states: [DesiredState], nodes: [IPFamily: DesiredState.NodeSettings], warnings: [String]
    ) async throws(BackendSyncError) -> SyncResult {
        // Ports refused before stay out while they and the node settings are unchanged: checking them again on
        // every periodic resync would cost a bisection each time.
        let stillRefused = nodes == committedNode ? refused : [:]
        var kept: [IPFamily: [ServicePortName: Refusal]] = [:]
        // The candidates are listed only when some port is known refused, or the kernel refuses: a full sync of
        // 10,000 Services that the kernel accepts pays nothing for them.
        var isolation: Isolation?
        if !stillRefused.isEmpty {
            isolation = Isolation(states, excluding: stillRefused, kept: &kept)
        }
        var output = renderer.full(isolation.map { $0.states(Array($0.candidates.indices)) } ?? states, previous: committed)
        var warnings = warnings
        do {
            try await driver.apply(output.transaction)
        } catch {
            let isolation = isolation ?? Isolation(states, excluding: [:], kept: &kept)
            let all = Array(isolation.candidates.indices)
            let candidates = isolation.candidates
            // Replace rather than refill from here on: what is committed may be what the kernel disagrees with.
            committed = nil
            if await check(isolation, []) != nil {
                // Even without any Service the transaction is refused: no Service is to blame.
                needsFullSync = true
                throw BackendSyncError(message: error.description, transaction: output.transaction.text)
            }
            var refusals = await refusedCandidates(all, isolation)
            var accepted = Self.complement(all, refusals.map { $0.index })
            output = renderer.full(isolation.states(accepted), previous: nil)
            var failure: NftablesError?
            do {
                try await driver.apply(output.transaction)
            } catch {
                // Ports the kernel accepts one by one but not together: add them one half at a time to what it
                // accepted so far (costlier: every check holds everything accepted).
                var greedy: [Int] = []
                refusals = await refusedCandidates(all, accepting: &greedy, isolation)
                accepted = greedy
                output = renderer.full(isolation.states(accepted), previous: nil)
                do {
                    try await driver.apply(output.transaction)
                } catch {
                    failure = error
                }
            }
            if let failure {
                needsFullSync = true
                throw BackendSyncError(message: failure.description, transaction: output.transaction.text)
            }
            for (index, problem) in refusals {
                let candidate = candidates[index]
                let family = states[candidate.state].family
                kept[family, default: [:]][candidate.port.name] = Refusal(port: candidate.port, message: problem.summary)
                warnings.append(
                    RefusedServicePort(family: family, name: candidate.port.name, port: candidate.port.port, message: problem.summary).description)
            }
        }
        committed = output.renderings
        committedNode = nodes
        needsFullSync = false
        refused = kept
        return SyncResult(
            isFull: true, transaction: output.transaction.text, warnings: warnings + output.warnings, refusedServicePorts: refusedPorts)
    }

    /// The Service ports of a full sync, to be checked in subsets.
    private struct Isolation {
        var states: [DesiredState]
        var candidates: [Candidate]

        /// Every Service port of `states` but those `excluding` holds with the same value, which go to `kept`.
        init(_ states: [DesiredState], excluding: [IPFamily: [ServicePortName: Refusal]], kept: inout [IPFamily: [ServicePortName: Refusal]]) {
            self.states = states
            candidates = []
            for (index, state) in states.enumerated() {
                for port in state.servicePorts {
                    if let refusal = excluding[state.family]?[port.name], refusal.port == port {
                        kept[state.family, default: [:]][port.name] = refusal
                    } else {
                        candidates.append(Candidate(state: index, port: port))
                    }
                }
            }
        }

        /// `states` holding only the selected candidates.
        func states(_ selection: [Int]) -> [DesiredState] {
            var result = states.map { DesiredState(family: $0.family, node: $0.node) }
            for index in selection {
                let candidate = candidates[index]
                result[candidate.state].services[candidate.port.name.service, default: []].append(candidate.port)
            }
            return result
        }
    }

    /// nft's complaint about the selected candidates in a replacing transaction (dry run: nothing is committed),
    /// nil when the kernel accepts them.
    private func check(_ isolation: Isolation, _ selection: [Int]) async -> NftablesError? {
        do {
            try await driver.check(renderer.full(isolation.states(selection), previous: nil).transaction)
            return nil
        } catch {
            return error
        }
    }

    private static func complement(_ all: [Int], _ removed: [Int]) -> [Int] {
        let removed = Set(removed)
        return all.filter { !removed.contains($0) }
    }

    /// The candidates the kernel refuses, each with its complaint: a refused selection is halved until single
    /// candidates remain, each half checked on its own. About two full transactions' worth of checks finds one
    /// refused port among 10,000.
    private func refusedCandidates(_ selection: [Int], _ isolation: Isolation) async -> [(index: Int, problem: NftablesError)] {
        guard !selection.isEmpty, let problem = await check(isolation, selection) else { return [] }
        if selection.count == 1 { return [(selection[0], problem)] }
        let middle = selection.count / 2
        let left = await refusedCandidates(Array(selection[..<middle]), isolation)
        let right = await refusedCandidates(Array(selection[middle...]), isolation)
        return left + right
    }

    /// The candidates the kernel refuses together with `accepted` (which grows by every candidate it accepts):
    /// for refusals that only happen in company.
    private func refusedCandidates(
        _ selection: [Int], accepting accepted: inout [Int], _ isolation: Isolation
    ) async -> [(index: Int, problem: NftablesError)] {
        guard !selection.isEmpty else { return [] }
        guard let problem = await check(isolation, accepted + selection) else {
            accepted += selection
            return []
        }
        if selection.count == 1 { return [(selection[0], problem)] }
        let middle = selection.count / 2
        let left = await refusedCandidates(Array(selection[..<middle]), accepting: &accepted, isolation)
        let right = await refusedCandidates(Array(selection[middle...]), accepting: &accepted, isolation)
        return left + right
    }

    // MARK: Partial syncs

    /// `diffs` as they apply to what is programmed: refused ports were never programmed, so their removal is
    /// nothing and their change an addition — after a check of the new value alone, which keeps a port the
    /// kernel still refuses out of the partial sync.
    private func withoutRefusedPorts(
        _ diffs: [DesiredStateDiff], nodes: [IPFamily: DesiredState.NodeSettings]
    ) async -> ([DesiredStateDiff], [RefusedServicePort]) {
        var result: [DesiredStateDiff] = []
        var newlyRefused: [RefusedServicePort] = []
        for var diff in diffs {
            guard var refusedHere = refused[diff.family], !refusedHere.isEmpty, let node = nodes[diff.family] else {
                result.append(diff)
                continue
            }
            diff.removed.removeAll { refusedHere.removeValue(forKey: $0.name) != nil }
            var retried: [ServicePort] = []
            diff.changed.removeAll { change in
                guard refusedHere.removeValue(forKey: change.old.name) != nil else { return false }
                retried.append(change.new)
                return true
            }
            for port in retried {
                let state = DesiredState(family: diff.family, node: node, services: [port.name.service: [port]])
                do {
                    try await driver.check(renderer.full([state], previous: nil).transaction)
                    diff.added.append(port)
                } catch {
                    refusedHere[port.name] = Refusal(port: port, message: error.summary)
                    newlyRefused.append(RefusedServicePort(family: diff.family, name: port.name, port: port.port, message: error.summary))
                }
            }
            refused[diff.family] = refusedHere.isEmpty ? nil : refusedHere
            result.append(diff)
        }
        return (result, newlyRefused)
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
        refused = [:]
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
