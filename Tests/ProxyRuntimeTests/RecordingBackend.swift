import Backends
import ServiceModel

/// A backend that records what the runner asks of it and answers as told: the runner's timing and bookkeeping are
/// tested without a kernel. (What a backend does with a request is `SyncEngine`'s and the drivers' business, tested
/// against the in-memory kernels and the real one.)
actor RecordingBackend: Backend {
    nonisolated let mode = ProxyMode.nftables
    nonisolated let resync: ResyncPolicy
    /// Every request, in order.
    private(set) var requests: [SyncRequest] = []
    /// How many of the next syncs fail.
    private var failures = 0

    /// Maintenance the backend still has (IPVS drains), due `maintenanceEvery` after each sync or maintenance.
    private var pendingMaintenance: Int
    private let maintenanceEvery: Duration
    /// Yields once per `maintain()` call.
    nonisolated let maintenanceCalls: AsyncStream<Void>
    private let maintenanceContinuation: AsyncStream<Void>.Continuation

    init(resync: ResyncPolicy, pendingMaintenance: Int = 0, maintenanceEvery: Duration = .seconds(15)) {
        self.resync = resync
        self.pendingMaintenance = pendingMaintenance
        self.maintenanceEvery = maintenanceEvery
        (maintenanceCalls, maintenanceContinuation) = AsyncStream.makeStream(of: Void.self)
    }

    var maintenanceInterval: Duration? { pendingMaintenance > 0 ? maintenanceEvery : nil }

    func maintain() throws(BackendSyncError) -> SyncResult? {
        pendingMaintenance -= 1
        maintenanceContinuation.yield()
        return SyncResult(isFull: false, transaction: "maintenance", warnings: [])
    }

    /// Makes the next `count` syncs fail as a refused transaction.
    func failNext(_ count: Int = 1) {
        failures = count
    }

    func sync(_ states: [DesiredState], _ request: SyncRequest) throws(BackendSyncError) -> SyncResult {
        requests.append(request)
        if failures > 0 {
            failures -= 1
            throw BackendSyncError(.refused, message: "refused by the test", transaction: "refused")
        }
        switch request {
        case .full: return SyncResult(isFull: true, transaction: "full", warnings: [])
        case .changes: return SyncResult(isFull: false, transaction: "partial", warnings: [])
        case .verify: return SyncResult(isFull: false, transaction: "", warnings: [])
        }
    }
}

extension SyncRequest {
    /// The request's kind, for comparing sequences: `full`, `changes`, `verify`.
    var kind: String {
        switch self {
        case .full: "full"
        case .changes: "changes"
        case .verify: "verify"
        }
    }
}
