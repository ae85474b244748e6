import Backends
import Foundation
import Logging
import ServiceModel

/// Turns object events into kernel syncs, and never syncs before the source reported `synced`:
///
/// - **Changes** are coalesced: at most one sync per `minSyncPeriod` (measured from the last sync's start); changes
///   arriving meanwhile join the next sync, which sends only what changed.
/// - **A quiet `syncPeriod`** (no sync for that long) brings a periodic sync: what the backend's `ResyncPolicy`
///   says — a cheap check that the kernel still holds what was committed (nftables, iptables) or a full sync (IPVS).
/// - **A full sync** at start, after any failure (retried after `minSyncPeriod`), when the node or the served
///   families change, and when the last full sync is older than the backend's `fullSyncPeriod` — also while changes
///   keep coming, which then make that sync full.
///
/// - **Maintenance** the backend asks for without a cluster change (IPVS: deleting drained real servers once idle)
///   runs `maintenanceInterval` after the last sync or maintenance, between syncs; a failure makes the next sync
///   full.
///
/// After each successful sync it deletes the UDP and SCTP conntrack entries the sync made stale (see
/// `ConntrackCleanupPlan`), when given a reconciler.
///
/// - Important: The runner owns time; everything it computes is pure (`ProxyModel`) and everything it changes
///   goes through the backend (and the conntrack reconciler). One sync runs at a time.
public actor SyncRunner<RunnerClock: Clock> where RunnerClock.Duration == Duration {
    public struct Settings: Sendable {
        public var minSyncPeriod: Duration = .seconds(1)
        public var syncPeriod: Duration = .seconds(30)

        public init(minSyncPeriod: Duration = .seconds(1), syncPeriod: Duration = .seconds(30)) {
            self.minSyncPeriod = minSyncPeriod
            self.syncPeriod = syncPeriod
        }
    }

    private let backend: any Backend
    private let conntrack: ConntrackReconciler?
    private let model: ProxyModel
    private let settings: Settings
    private let localAddresses: @Sendable () -> [IPAddress]
    private let hostFamilies: Set<IPFamily>
    private let observe: @Sendable (SyncRunnerEvent) async -> Void
    private let logger: Logger
    /// Measures the sync periods (`ContinuousClock` in the daemon; a manual clock in tests).
    private let clock: RunnerClock

    private var snapshot = ClusterSnapshot()
    private var states: [IPFamily: DesiredState] = [:]
    /// Services touched since the last successful sync.
    private var pendingServices = Set<ObjectKey>()
    private var pendingEndpointChanges = 0
    private var pendingServiceChanges = 0
    /// `last-change-trigger-time` of EndpointSlices changed since the last sync.
    private var pendingTriggerTimes: [(IPFamily?, Date)] = []
    /// The Node changed since the last sync: the next one is full.
    private var nodeChanged = true
    private var kernel = KernelState.unknown(lastAttempt: nil)
    /// When the backend's maintenance is due; nil when it has none pending.
    private var maintenanceDue: RunnerClock.Instant?
    private var waiter: CheckedContinuation<Void, Never>?
    /// Model warnings logged and not gone since (a full sync forgets those it no longer finds).
    private var loggedWarnings = Set<ModelWarning>()
    /// Conntrack plans of failed syncs and failed cleanups: the next plan, a full one, also clears their
    /// destinations that are gone.
    private var unappliedConntrackPlan = ConntrackCleanupPlan()

    public enum RunnerEvent: Sendable {
        /// Changes arrived that the kernel does not have yet (with the changes pending so far).
        case queued(Date, endpointChanges: Int, serviceChanges: Int)
        case synced(SyncReport)
        /// The node's Node object changed (deletion, taints): health reporting follows it.
        case node(Node?)
    }

    /// What the runner knows of the kernel; the next sync follows from it and from the pending work.
    enum KernelState {
        /// Nothing synced yet, or the last sync (started at `lastAttempt`) failed: the next sync is full.
        case unknown(lastAttempt: RunnerClock.Instant?)
        /// The last sync succeeded; it started at `lastSync`, the last full one at `lastFull`.
        case synced(lastSync: RunnerClock.Instant, lastFull: RunnerClock.Instant)

        var lastSync: RunnerClock.Instant? {
            switch self {
            case .unknown(let lastAttempt): lastAttempt
            case .synced(let lastSync, _): lastSync
            }
        }
    }

    /// What the runner does next.
    enum Step: Equatable {
        /// A sync as soon as `minSyncPeriod` since the last one has passed.
        case sync(Kind)
        /// The backend's maintenance (IPVS drains).
        case maintain
        /// Nothing is due: wait for a change, or until `deadline`.
        case wait(until: RunnerClock.Instant?)

        enum Kind: Equatable {
            /// Everything: no trusted state, the node changed or the full-sync period passed.
            case full
            /// The pending changes (full when the full-sync period has passed by the time it runs).
            case changes
            /// Nothing changed for a sync period: the backend's periodic sync.
            case periodic
        }
    }

    public init(
        backend: any Backend, conntrack: ConntrackReconciler? = nil, configuration: ProxyConfiguration,
        settings: Settings, clock: RunnerClock, localAddresses: @escaping @Sendable () -> [IPAddress],
        hostFamilies: Set<IPFamily> = LocalAddresses.hostFamilies(), logger: Logger,
        observe: @escaping @Sendable (SyncRunnerEvent) async -> Void
    ) {
        self.clock = clock
        self.hostFamilies = hostFamilies
        self.backend = backend
        self.conntrack = conntrack
        model = ProxyModel(configuration: configuration)
        self.settings = settings
        self.localAddresses = localAddresses
        self.logger = logger
        self.observe = observe
    }

    /// Takes a batch of events from the source.
    public func receive(_ events: [ObjectEvent]) async {
        var changed = ClusterSnapshot.Change()
        for event in events {
            let change = snapshot.apply(event)
            changed.formUnion(change)
            switch event {
            case .added(.endpointSlice(let slice)), .modified(.endpointSlice(let slice)), .deleted(.endpointSlice(let slice)):
                pendingEndpointChanges += 1
                if let text = slice.metadata.annotation(EndpointSlice.lastChangeTriggerTimeAnnotation),
                    let time = Self.parseTime(text)
                {
                    pendingTriggerTimes.append((IPFamily(rawValue: slice.addressType), time))
                }
            case .added(.service), .modified(.service), .deleted(.service):
                pendingServiceChanges += 1
            default:
                break
            }
        }
        pendingServices.formUnion(changed.services)
        if changed.nodes.contains(model.configuration.nodeName) {
            nodeChanged = true
            await observe(.node(snapshot.nodes[model.configuration.nodeName]))
        }
        if !changed.isEmpty {
            if !changed.services.isEmpty || changed.nodes.contains(model.configuration.nodeName) {
                await observe(.queued(Date(), endpointChanges: pendingEndpointChanges, serviceChanges: pendingServiceChanges))
            }
            wake()
        }
    }

    /// Syncs until cancelled.
    public func run() async {
        while !Task.isCancelled {
            guard snapshot.isSynced else {
                await waitForWake(until: nil)
                continue
            }
            switch nextStep(now: clock.now) {
            case .wait(let deadline):
                await waitForWake(until: deadline)
            case .maintain:
                await maintain()
            case .sync(let kind):
                // Coalesce: at most one sync per minSyncPeriod; changes arriving meanwhile join this sync.
                if let last = kernel.lastSync, clock.now < last.advanced(by: settings.minSyncPeriod) {
                    try? await clock.sleep(until: last.advanced(by: settings.minSyncPeriod), tolerance: nil)
                    if Task.isCancelled { return }
                }
                // Time passed while coalescing: the full-sync period may have run out meanwhile.
                await sync(kind == .changes && nextStep(now: clock.now) == .sync(.full) ? .full : kind)
            }
        }
    }

    /// What is due at `now`, from the kernel state, the pending work and the periods.
    func nextStep(now: RunnerClock.Instant) -> Step {
        guard case .synced(let lastSync, let lastFull) = kernel else { return .sync(.full) }
        let fullDue = lastFull.advanced(by: backend.resync.fullSyncPeriod)
        if nodeChanged || now >= fullDue { return .sync(.full) }
        if !pendingServices.isEmpty { return .sync(.changes) }
        let periodicDue = lastSync.advanced(by: settings.syncPeriod)
        if now >= periodicDue { return .sync(.periodic) }
        if let maintenanceDue, now >= maintenanceDue { return .maintain }
        return .wait(until: [periodicDue, fullDue, maintenanceDue].compactMap { $0 }.min())
    }

    /// The backend's maintenance; a failure makes the next sync full, as a failed sync does.
    private func maintain() async {
        maintenanceDue = nil
        do {
            if let result = try await backend.maintain() {
                logger.info("maintained", metadata: ["mode": "\(backend.mode)", "operations": "\(result.transaction.split(separator: "\n").filter { !$0.hasPrefix("#") }.count)"])
                for warning in result.warnings { logger.warning("\(warning)") }
                if logger.logLevel <= .trace { logger.trace("transaction\n\(result.transaction)") }
            }
            await scheduleMaintenance()
        } catch {
            kernel = .unknown(lastAttempt: kernel.lastSync)
            logger.error("maintenance failed, next sync is full: \(error.message)")
        }
    }

    /// Asks the backend when its maintenance is next due.
    private func scheduleMaintenance() async {
        maintenanceDue = await backend.maintenanceInterval.map { clock.now.advanced(by: $0) }
    }

    /// One sync of everything pending (or everything, when a full sync is due).
    private func sync(_ kind: Step.Kind) async {
        let started = clock.now
        let startedAt = Date()
        let previousFull: RunnerClock.Instant? = if case .synced(_, let lastFull) = kernel { lastFull } else { nil }
        let nodeContext = NodeContext(
            snapshot: snapshot, nodeName: model.configuration.nodeName, localAddresses: localAddresses(),
            hostFamilies: hostFamilies)
        let families = model.servedFamilies(node: nodeContext)
        let full =
            kind == .full || nodeChanged || (kind == .periodic && backend.resync.periodic == .full) || Set(states.keys) != Set(families)
        var warnings: [ModelWarning] = full ? model.unservedFamilyWarnings(node: nodeContext) : []
        var diffs: [DesiredStateDiff] = []
        // Take the pending work now: events that arrive while the backend applies (the actor is reentrant at
        // every await) stay pending for the next sync instead of being cleared with this one's.
        let changedServices = pendingServices
        let nodeWasChanged = nodeChanged
        let endpointChanges = pendingEndpointChanges
        let serviceChanges = pendingServiceChanges
        let triggerTimes = pendingTriggerTimes
        pendingServices = []
        nodeChanged = false
        pendingEndpointChanges = 0
        pendingServiceChanges = 0
        pendingTriggerTimes = []
        // A full sync replaces the states, so holding the old ones costs no copy; partial syncs have their diffs.
        let previousStates = full && conntrack != nil ? Array(states.values) : []
        for family in families {
            // Taken out of the dictionary so that the update in place touches the only reference.
            if !full, var state = states.removeValue(forKey: family) {
                let output = model.update(&state, services: changedServices, snapshot: snapshot, node: nodeContext)
                states[family] = state
                diffs.append(output.diff)
                warnings += output.warnings
            } else {
                let output = model.desiredState(for: family, snapshot: snapshot, node: nodeContext)
                states[family] = output.state
                warnings += output.warnings
            }
        }
        for family in states.keys where !families.contains(family) { states[family] = nil }
        // A problem that persists is logged when it appears, not at every sync: a single-stack cluster, say, has
        // node warnings about the other family for as long as it runs.
        for warning in warnings where !loggedWarnings.contains(warning) {
            loggedWarnings.insert(warning)
            logger.warning("\(warning)")
        }
        if full { loggedWarnings.formIntersection(warnings) }

        let ordered = families.compactMap { states[$0] }
        let conntrackPlan = conntrack == nil ? nil : conntrackPlan(full: full, ordered, previousStates, diffs)
        var report = SyncReport(
            isFull: full, outcome: .unchanged, families: families, startedAt: startedAt, duration: .zero,
            services: Set(ordered.flatMap { $0.services.keys }).count,
            servicePorts: ordered.reduce(0) { $0 + $1.servicePortCount },
            endpoints: ordered.reduce(0) { $0 + $1.endpointCount },
            noLocalEndpoints: Dictionary(uniqueKeysWithValues: ordered.map { state in
                (state.family, Self.noLocalEndpoints(state))
            }),
            transaction: "", changedServices: changedServices.count, endpointChanges: endpointChanges,
            serviceChanges: serviceChanges, networkProgrammingLatencies: [], warnings: [])
        do {
            let request: SyncRequest = full ? .full : kind == .periodic && changedServices.isEmpty ? .verify : .changes(diffs)
            let result = try await backend.sync(ordered, request)
            report.isFull = result.isFull
            report.transaction = result.transaction
            report.warnings = result.warnings
            report.refusedServicePorts = Dictionary(grouping: result.refusedServicePorts, by: \.family).mapValues(\.count)
            report.outcome = result.transaction.isEmpty ? .unchanged : .applied
            kernel = .synced(lastSync: started, lastFull: result.isFull ? started : previousFull ?? started)
            await scheduleMaintenance()
            let finished = Date()
            report.networkProgrammingLatencies = triggerTimes.compactMap { family, time in
                let latency = finished.timeIntervalSince(time)
                return latency >= 0 ? (family ?? .ipv4, .milliseconds(Int64(latency * 1000))) : nil
            }
        } catch {
            // The states already hold the changes; a full sync recomputes and replaces everything.
            kernel = .unknown(lastAttempt: started)
            pendingServices.formUnion(changedServices)
            nodeChanged = nodeChanged || nodeWasChanged
            pendingEndpointChanges += endpointChanges
            pendingServiceChanges += serviceChanges
            pendingTriggerTimes = triggerTimes + pendingTriggerTimes
            report.isFull = full
            report.transaction = error.transaction
            report.outcome = .failed(message: error.message)
            if let conntrackPlan { unappliedConntrackPlan = unappliedConntrackPlan.merging(conntrackPlan) }
        }
        report.duration = started.duration(to: clock.now)
        if report.succeeded, let conntrackPlan {
            let plan = conntrackPlan.includingStaleDestinations(of: unappliedConntrackPlan)
            unappliedConntrackPlan = ConntrackCleanupPlan()
            report.conntrackCleanup = await cleanConntrack(plan)
            if report.conntrackCleanup?.failure != nil { unappliedConntrackPlan = plan }
        }
        report.healthCheckServices = healthCheckServices()
        report.healthCheckHosts = ListenHosts.healthCheck(
            nodePortAddresses: states.mapValues(\.node.nodePortAddresses), localAddresses: nodeContext.localAddresses)
        log(report)
        // A failed sync is retried in full after minSyncPeriod: the loop finds the kernel state unknown.
        await observe(.synced(report))
    }

    /// What this sync's conntrack cleanup looks at: a full sync's every UDP/SCTP destination (and those the
    /// previous states had beyond them); a partial sync's changes — or, after something failed, every destination,
    /// because only a full plan may clear what earlier plans named and it no longer has.
    private func conntrackPlan(
        full: Bool, _ ordered: [DesiredState], _ previous: [DesiredState], _ diffs: [DesiredStateDiff]
    ) -> ConntrackCleanupPlan {
        if full { return ConntrackCleanupPlan(full: ordered, previous: previous) }
        let changes = ConntrackCleanupPlan(changes: diffs, nodes: states.mapValues(\.node))
        if unappliedConntrackPlan.isEmpty { return changes }
        return ConntrackCleanupPlan(full: ordered).includingStaleDestinations(of: changes)
    }

    /// Deletes the conntrack entries `plan` finds stale; nil when there was nothing to look at.
    private func cleanConntrack(_ plan: ConntrackCleanupPlan) async -> ConntrackCleanupReport? {
        guard let conntrack, !plan.isEmpty else { return nil }
        let started = clock.now
        var cleanup = ConntrackCleanupReport(deleted: 0, duration: .zero)
        do {
            cleanup.deleted = try await conntrack.reconcile(plan)
        } catch {
            cleanup.deleted = error.deletedBeforeFailure
            cleanup.failure = error.description
        }
        cleanup.duration = started.duration(to: clock.now)
        logger.debug("conntrack cleanup plan:\n\(plan)")
        if let failure = cleanup.failure {
            logger.warning("conntrack cleanup failed; the next sync tries again: \(failure)")
        } else if cleanup.deleted > 0 {
            logger.info("deleted stale conntrack entries", metadata: ["entries": "\(cleanup.deleted)", "destinations": "\(plan.filters.count)"])
        }
        return cleanup
    }

    private func log(_ report: SyncReport) {
        let metadata: Logger.Metadata = [
            "mode": "\(backend.mode)", "sync": "\(report.isFull ? "full" : "partial")",
            "services": "\(report.services)", "servicePorts": "\(report.servicePorts)",
            "endpoints": "\(report.endpoints)", "changedServices": "\(report.changedServices)",
            "duration": "\(String(format: "%.1fms", Double(report.duration.components.attoseconds) / 1e15 + Double(report.duration.components.seconds) * 1000))",
        ]
        switch report.outcome {
        case .applied: logger.info("synced", metadata: metadata)
        case .unchanged: logger.debug("nothing to sync", metadata: metadata)
        case .failed(let message): logger.error("sync failed, next sync is full: \(message)", metadata: metadata)
        }
        for warning in report.warnings { logger.warning("\(warning)") }
        // -v 4: the exact transaction (what /debug/rules shows), for following a sync by hand.
        if logger.logLevel <= .trace, !report.transaction.isEmpty {
            logger.trace("transaction\n\(report.transaction)")
        }
    }

    // MARK: Waking

    private func wake() {
        waiter?.resume()
        waiter = nil
    }

    /// Suspends until `receive` wakes the runner, or `deadline` passes.
    private func waitForWake(until deadline: RunnerClock.Instant?) async {
        let timer: Task<Void, Never>? = deadline.map { [clock] deadline in
            Task { [weak self] in
                try? await clock.sleep(until: deadline, tolerance: nil)
                await self?.wake()
            }
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                if Task.isCancelled {
                    continuation.resume()
                } else {
                    waiter = continuation
                }
            }
        } onCancel: {
            Task { await self.wake() }
        }
        timer?.cancel()
    }

    // MARK: Reports

    /// Service ports dropping internal / external traffic because no local endpoint exists.
    public static func noLocalEndpoints(_ state: DesiredState) -> (internal: Int, external: Int) {
        var internalCount = 0
        var externalCount = 0
        for ports in state.services.values {
            for port in ports {
                if port.internalTrafficAction == .drop { internalCount += 1 }
                if port.isExternallyAccessible && port.externalTrafficAction == .drop { externalCount += 1 }
            }
        }
        return (internalCount, externalCount)
    }

    /// The desired-state table of every served family (`/debug/model`).
    public func modelText() -> String {
        IPFamily.allCases.compactMap { states[$0] }
            .map { DesiredStateTable.render($0, nodeName: model.configuration.nodeName) }.joined(separator: "\n")
    }

    /// Local endpoints of every eTP=Local LoadBalancer Service with a health-check node port (for the
    /// health-check servers): serving-terminating local endpoints count as none, as kube-proxy counts them.
    public func healthCheckServices() -> [HealthCheckService] {
        var byPort: [UInt16: HealthCheckService] = [:]
        for state in states.values {
            for ports in state.services.values {
                for port in ports {
                    guard let healthPort = port.healthCheckNodePort else { continue }
                    let ready = port.localEndpoints.filter { $0.isReady }.count
                    var entry = byPort[healthPort] ?? HealthCheckService(service: port.name.service, port: healthPort, localEndpoints: 0)
                    entry.localEndpoints = max(entry.localEndpoints, ready)
                    byPort[healthPort] = entry
                }
            }
        }
        return byPort.values.sorted { $0.port < $1.port }
    }

    /// `2006-01-02T15:04:05Z` (with optional fraction), as Kubernetes writes times.
    public static func parseTime(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text)
    }
}

extension SyncRunner where RunnerClock == ContinuousClock {
    /// A runner measuring time with the continuous clock, as the daemon runs it.
    public init(
        backend: any Backend, conntrack: ConntrackReconciler? = nil, configuration: ProxyConfiguration,
        settings: Settings, localAddresses: @escaping @Sendable () -> [IPAddress],
        hostFamilies: Set<IPFamily> = LocalAddresses.hostFamilies(), logger: Logger,
        observe: @escaping @Sendable (SyncRunnerEvent) async -> Void
    ) {
        self.init(
            backend: backend, conntrack: conntrack, configuration: configuration, settings: settings, clock: ContinuousClock(),
            localAddresses: localAddresses, hostFamilies: hostFamilies, logger: logger, observe: observe)
    }
}
