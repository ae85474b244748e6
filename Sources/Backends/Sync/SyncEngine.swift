import ServiceModel

/// The bookkeeping every backend shares, over one mode's `KernelProgram`: what the kernel holds is kept in memory,
/// so that most syncs send only what changed, and one refused Service never stops the others.
///
/// - **Partial** when asked for changes, the committed state is known for exactly the served families and the
///   node's settings did not change. A failed partial sync is answered at once with a full one (unless the program
///   reports refused partial syncs as failures, as iptables does; then the next sync is full).
/// - **Full** otherwise: from memory when it is trusted (flush and refill), else from what the driver lists (or,
///   for nftables, replacing the tables whole). A full sync that finds the kernel no longer holds what was
///   committed (`stale`) starts over from a listing.
/// - **Refused Service ports**: when the kernel refuses a full transaction and the program can check transactions
///   without committing them, the engine finds the Service ports the kernel refuses (halving the set with checks),
///   leaves them out with a warning naming each, and programs everything else. A refused port stays out while it
///   and the node's settings are unchanged; a change to it is checked on its own before it joins a partial sync.
/// - **Verification** (`SyncRequest.verify`): the program's cheap check; a failed one makes the sync full.
/// - After any failure the committed state is forgotten: the next sync is full.
public actor SyncEngine<Program: KernelProgram>: Backend {
    public nonisolated var mode: ProxyMode { Program.mode }
    public nonisolated var resync: ResyncPolicy { Program.resync }
    private let program: Program
    /// What the kernel holds; nil when unknown (start-up, or after a failure), which makes the next sync full
    /// and, for programs that list, listed.
    private var committed: Program.Committed?
    /// The node settings `committed` was rendered with, per family.
    private var committedNodes: [IPFamily: DesiredState.NodeSettings] = [:]
    /// Service ports left out because the kernel refused them, with the value it refused.
    private var refused: [IPFamily: [ServicePortName: PortRefusal]] = [:]

    public init(_ program: Program) {
        self.program = program
    }

    public func sync(_ states: [DesiredState], _ request: SyncRequest) async throws(BackendSyncError) -> SyncResult {
        let nodes = Dictionary(uniqueKeysWithValues: states.map { ($0.family, $0.node) })
        var notes: [String] = []
        switch request {
        case .full:
            break
        case .verify:
            guard let committed, nodes == committedNodes else { break }
            guard let problem = await program.verify(committed) else {
                return SyncResult(isFull: false, transaction: "", warnings: [], refusedServicePorts: refusedPorts)
            }
            self.committed = nil
            notes.append("the kernel no longer holds what proxyd committed (\(problem.summary)); replacing proxyd's rules")
        case .changes(let diffs):
            // Taken out of `committed`, so that the partial render mutates the only copy.
            guard nodes == committedNodes, diffs.allSatisfy({ $0.node == nil }),
                Set(diffs.map(\.family)).isSubset(of: nodes.keys), var renderings = committed.take()
            else { break }
            let (kept, newlyRefused) = await withoutRefusedPorts(diffs, nodes: nodes)
            notes += newlyRefused.map(\.description)
            guard let (transaction, warnings) = program.partial(kept, states: states, committed: &renderings) else {
                committed = renderings  // untouched: partial() changes nothing when it returns nil
                break
            }
            notes += warnings
            if transaction.isEmpty {
                committed = renderings
                return SyncResult(isFull: false, transaction: "", warnings: notes, refusedServicePorts: refusedPorts)
            }
            do {
                try await program.apply(transaction)
                committed = renderings
                return SyncResult(isFull: false, transaction: transaction.text, warnings: notes, refusedServicePorts: refusedPorts)
            } catch {
                // `renderings` now describes the refused transaction: the next sync is full. Doing it now rather
                // than at the next sync means a refused Service costs one sync, not one failed sync each time.
                if error.code != .stale && Program.failsRefusedPartialSyncs { throw error }
                notes.append(
                    error.code == .stale
                        ? "\(error.message); replacing proxyd's rules"
                        : "the kernel refused a partial sync (\(error.summary)); replacing proxyd's rules instead")
            }
        }
        return try await fullSync(states, nodes: nodes, notes: notes)
    }

    /// Every refused Service port, sorted.
    private var refusedPorts: [RefusedServicePort] {
        refused.flatMap { family, ports in
            ports.values.map { RefusedServicePort(family: family, name: $0.port.name, port: $0.port.port, message: $0.message) }
        }.sorted { ($0.family.rawValue, $0.name) < ($1.family.rawValue, $1.name) }
    }

    // MARK: Full syncs

    private func fullSync(
        _ states: [DesiredState], nodes: [IPFamily: DesiredState.NodeSettings], notes: [String]
    ) async throws(BackendSyncError) -> SyncResult {
        let families = states.map(\.family)
        // Ports refused before stay out while they and the node settings are unchanged: checking them again on
        // every full sync would cost a bisection each time.
        let stillRefused = nodes == committedNodes ? refused : [:]
        var kept: [IPFamily: [ServicePortName: PortRefusal]] = [:]
        // The candidates are listed only when some port is known refused, or the kernel refuses: a full sync of
        // 10,000 Services that the kernel accepts pays nothing for them.
        var selection: ServicePortSelection?
        if !stillRefused.isEmpty {
            selection = ServicePortSelection(states, excluding: stillRefused, kept: &kept)
        }
        var warnings = notes
        let base = committed
        var listed = program.listsBeforeFullSync(trusting: base) ? try await program.list(families) : nil
        var output = program.full(selection?.states(nil) ?? states, committed: base, listed: listed)
        do {
            try await program.apply(output.transaction)
        } catch var error {
            // From here on what the kernel holds is unknown: whatever follows replaces it.
            committed = nil
            if error.code == .stale, base != nil {
                // Memory no longer matches the kernel (a flushed table, a removed jump): start over from a listing.
                warnings.append("\(error.message); replacing proxyd's rules")
                listed = program.listsBeforeFullSync(trusting: nil) ? try await program.list(families) : nil
                output = program.full(selection?.states(nil) ?? states, committed: nil, listed: listed)
                do {
                    try await program.apply(output.transaction)
                    return finish(output, nodes: nodes, kept: kept, warnings: warnings)
                } catch let retried {
                    error = retried
                }
            }
            guard program.canCheck, error.code == .refused else {
                throw BackendSyncError(error.code, message: error.message, summary: error.summary, transaction: output.transaction.text)
            }
            let isolation = selection ?? ServicePortSelection(states, excluding: [:], kept: &kept)
            let (accepted, refusals) = try await isolate(isolation, error: error, failed: output.transaction.text)
            // What the kernel holds now (a partial failure of a program without atomic transactions, an earlier
            // table of the same input) is listed again before the final apply.
            listed = program.listsBeforeFullSync(trusting: nil) ? try await program.list(families) : nil
            output = program.full(isolation.states(accepted), committed: nil, listed: listed)
            do {
                try await program.apply(output.transaction)
            } catch {
                throw BackendSyncError(error.code, message: error.message, summary: error.summary, transaction: output.transaction.text)
            }
            for (index, message) in refusals {
                let candidate = isolation.candidates[index]
                let family = states[candidate.state].family
                kept[family, default: [:]][candidate.port.name] = PortRefusal(port: candidate.port, message: message)
                warnings.append(
                    RefusedServicePort(family: family, name: candidate.port.name, port: candidate.port.port, message: message).description)
            }
        }
        return finish(output, nodes: nodes, kept: kept, warnings: warnings)
    }

    private func finish(
        _ output: RenderedTransaction<Program.Transaction, Program.Committed>, nodes: [IPFamily: DesiredState.NodeSettings],
        kept: [IPFamily: [ServicePortName: PortRefusal]], warnings: [String]
    ) -> SyncResult {
        committed = output.committed
        committedNodes = nodes
        refused = kept
        return SyncResult(
            isFull: true, transaction: output.transaction.text, warnings: warnings + output.warnings, refusedServicePorts: refusedPorts)
    }

    // MARK: Isolating refused Service ports

    /// The candidates the kernel accepts together, and those it refuses with its complaint about each.
    ///
    /// - Throws: `error` when even no Service port at all is accepted: no Service is to blame.
    private func isolate(
        _ isolation: ServicePortSelection, error: BackendSyncError, failed: String
    ) async throws(BackendSyncError) -> (accepted: [Int], refusals: [(index: Int, message: String)]) {
        if await check(isolation, []) != nil {
            throw BackendSyncError(error.code, message: error.message, summary: error.summary, transaction: failed)
        }
        let all = Array(isolation.candidates.indices)
        var refusals = await refusedCandidates(all, isolation)
        let refusedIndices = Set(refusals.map(\.index))
        var accepted = all.filter { !refusedIndices.contains($0) }
        if await check(isolation, accepted) != nil {
            // Ports the kernel accepts one by one but not together: add them one half at a time to what it accepted
            // so far (costlier: every check holds everything accepted).
            accepted = []
            refusals = await refusedCandidates(all, accepting: &accepted, isolation)
        }
        return (accepted, refusals)
    }

    /// The program's complaint about the selected candidates in a replacing transaction (a check commits nothing),
    /// nil when the kernel accepts them.
    private func check(_ isolation: ServicePortSelection, _ selection: [Int]) async -> BackendSyncError? {
        do {
            try await program.check(program.full(isolation.states(selection), committed: nil, listed: nil).transaction)
            return nil
        } catch {
            return error
        }
    }

    /// The candidates the kernel refuses, each with its complaint: a refused selection is halved until single
    /// candidates remain, each half checked on its own. About two full transactions' worth of checks finds one
    /// refused port among 10,000.
    private func refusedCandidates(_ selection: [Int], _ isolation: ServicePortSelection) async -> [(index: Int, message: String)] {
        guard !selection.isEmpty, let problem = await check(isolation, selection) else { return [] }
        if selection.count == 1 { return [(selection[0], problem.summary)] }
        let middle = selection.count / 2
        let left = await refusedCandidates(Array(selection[..<middle]), isolation)
        let right = await refusedCandidates(Array(selection[middle...]), isolation)
        return left + right
    }

    /// The candidates the kernel refuses together with `accepted` (which grows by every candidate it accepts):
    /// for refusals that only happen in company.
    private func refusedCandidates(
        _ selection: [Int], accepting accepted: inout [Int], _ isolation: ServicePortSelection
    ) async -> [(index: Int, message: String)] {
        guard !selection.isEmpty else { return [] }
        guard let problem = await check(isolation, accepted + selection) else {
            accepted += selection
            return []
        }
        if selection.count == 1 { return [(selection[0], problem.summary)] }
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
                    try await program.check(program.full([state], committed: nil, listed: nil).transaction)
                    diff.added.append(port)
                } catch {
                    refusedHere[port.name] = PortRefusal(port: port, message: error.summary)
                    newlyRefused.append(RefusedServicePort(family: diff.family, name: port.name, port: port.port, message: error.summary))
                }
            }
            refused[diff.family] = refusedHere.isEmpty ? nil : refusedHere
            result.append(diff)
        }
        return (result, newlyRefused)
    }

    // MARK: Maintenance

    public var maintenanceInterval: Duration? {
        committed.flatMap(program.maintenanceInterval)
    }

    public func maintain() async throws(BackendSyncError) -> SyncResult? {
        // Taken out: when the work fails, what the kernel holds is unknown and the next sync is full.
        guard var state = committed.take() else { return nil }
        guard let (transaction, warnings) = try await program.maintain(&state) else {
            committed = state
            return nil
        }
        committed = state
        return SyncResult(isFull: false, transaction: transaction.text, warnings: warnings, refusedServicePorts: refusedPorts)
    }
}

/// A Service port left out because the kernel refused it: the value it refused, and what it said.
struct PortRefusal: Sendable {
    var port: ServicePort
    var message: String
}

/// The Service ports of a full sync, as candidates to be checked in subsets.
struct ServicePortSelection: Sendable {
    /// One Service port of one family's state.
    struct Candidate: Sendable {
        var state: Int
        var port: ServicePort
    }

    var states: [DesiredState]
    var candidates: [Candidate]

    /// Every Service port of `states` but those `excluding` holds with the same value, which go to `kept`.
    init(
        _ states: [DesiredState], excluding: [IPFamily: [ServicePortName: PortRefusal]],
        kept: inout [IPFamily: [ServicePortName: PortRefusal]]
    ) {
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

    /// `states` holding only the selected candidates (nil: all of them).
    func states(_ selection: [Int]?) -> [DesiredState] {
        var result = states.map { DesiredState(family: $0.family, node: $0.node) }
        for index in selection ?? Array(candidates.indices) {
            let candidate = candidates[index]
            result[candidate.state].services[candidate.port.name.service, default: []].append(candidate.port)
        }
        return result
    }
}
