import Backends
import Foundation
import ServiceModel

/// What the HTTP surfaces report, kept up to date from the runner's events: sync times for health, the Node
/// for eligibility, and the last applied and last refused transactions for `/debug/rules`.
///
/// Health follows kube-proxy: unhealthy once an update has been queued and no sync has completed within
/// `healthTimeout` (2 × sync-period); `/healthz` also fails while the Node is being deleted or carries the
/// `ToBeDeletedByClusterAutoscaler` taint.
public actor ProxyStatus {
    public let mode: ProxyMode
    public let healthTimeout: Duration
    private(set) var families: [IPFamily] = []
    private(set) var lastSuccessfulSync: Date?
    private var oldestPendingQueued: Date?
    private(set) var node: Node?
    private(set) var lastApplied: (transaction: String, isFull: Bool, at: Date)?
    private(set) var lastFailure: (transaction: String, error: String, at: Date)?

    public init(mode: ProxyMode, healthTimeout: Duration, families: [IPFamily] = []) {
        self.mode = mode
        self.healthTimeout = healthTimeout
        self.families = families
    }

    public func observe(_ event: SyncRunnerEvent) {
        switch event {
        case .queued(let time, _, _):
            if oldestPendingQueued == nil { oldestPendingQueued = time }
        case .node(let node):
            self.node = node
        case .synced(let report):
            families = report.families
            if report.succeeded {
                lastSuccessfulSync = report.startedAt.addingTimeInterval(report.duration.seconds)
                // Changes queued after this sync started stay pending.
                if let queued = oldestPendingQueued, queued <= report.startedAt { oldestPendingQueued = nil }
                if !report.transaction.isEmpty { lastApplied = (report.transaction, report.isFull, report.startedAt) }
                // /debug/rules shows a refused transaction only while it is the latest word.
                lastFailure = nil
            } else if case .failed(let message) = report.outcome {
                lastFailure = (report.transaction, message, report.startedAt)
            }
        }
    }

    public struct Health: Sendable {
        public var healthy: Bool
        public var nodeEligible: Bool
        public var lastUpdated: Date?
        public var currentTime: Date
    }

    public func health(now: Date = Date()) -> Health {
        var healthy = true
        if let queued = oldestPendingQueued, now.timeIntervalSince(queued) >= healthTimeout.seconds {
            healthy = false
        }
        return Health(healthy: healthy, nodeEligible: !(node?.isBeingRemoved ?? false), lastUpdated: lastSuccessfulSync, currentTime: now)
    }
}

extension Duration {
    /// The duration in seconds, as a `TimeInterval`.
    public var seconds: TimeInterval {
        let (seconds, attoseconds) = components
        return TimeInterval(seconds) + TimeInterval(attoseconds) / 1e18
    }
}
