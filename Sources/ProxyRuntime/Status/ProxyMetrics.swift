import Backends
import Foundation
import Metrics
import Prometheus
import ServiceModel

/// kube-proxy's metrics, with its names and labels, recorded from sync reports and HTTP requests.
///
/// Backed by swift-metrics with a Prometheus registry that `/metrics` renders.
public struct ProxyMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    public let mode: ProxyMode

    /// kube-proxy's sync histogram buckets: 1 ms × 2^0…14.
    public static let syncBuckets: [Duration] = (0...14).map { .milliseconds(1 << $0) }
    /// kube-proxy's network programming buckets: 0.25 s … 5 min.
    public static let programmingBuckets: [Duration] = [0.25, 0.5]
        .map { Duration.milliseconds(Int64($0 * 1000)) }
        + (1...59).map { Duration.seconds($0) } + stride(from: 60, through: 115, by: 5).map { Duration.seconds($0) }
        + stride(from: 120, through: 300, by: 30).map { Duration.seconds($0) }

    /// Bootstraps swift-metrics with a Prometheus factory configured with kube-proxy's buckets.
    public static func bootstrap(mode: ProxyMode) -> ProxyMetrics {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets = [
            "kubeproxy_sync_proxy_rules_duration_seconds": syncBuckets,
            "kubeproxy_sync_full_proxy_rules_duration_seconds": syncBuckets,
            "kubeproxy_sync_partial_proxy_rules_duration_seconds": syncBuckets,
            "kubeproxy_network_programming_duration_seconds": programmingBuckets,
            "kubeproxy_conntrack_reconciler_sync_duration_seconds": syncBuckets,
        ]
        MetricsSystem.bootstrap(factory)
        return ProxyMetrics(registry: registry, mode: mode)
    }

    /// Creates every series whose labels are known before the first sync — per family in `families`, and those
    /// without labels — so that `/metrics` lists them from start with zero counts, as kube-proxy's does. Series
    /// of a family served later appear with its first sync.
    public func registerInitialSeries(families: [IPFamily]) {
        for family in families {
            let labels = [("ip_family", family.rawValue)]
            for name in [
                "kubeproxy_sync_proxy_rules_duration_seconds", "kubeproxy_sync_full_proxy_rules_duration_seconds",
                "kubeproxy_sync_partial_proxy_rules_duration_seconds", "kubeproxy_network_programming_duration_seconds",
            ] {
                _ = Timer(label: name, dimensions: labels)
            }
            for policy in ["internal", "external"] {
                _ = Gauge(label: "kubeproxy_sync_proxy_rules_no_local_endpoints_total", dimensions: labels + [("traffic_policy", policy)])
            }
        }
        for name in [
            "kubeproxy_sync_proxy_rules_last_timestamp_seconds", "kubeproxy_sync_proxy_rules_last_queued_timestamp_seconds",
            "kubeproxy_sync_proxy_rules_endpoint_changes_pending", "kubeproxy_sync_proxy_rules_service_changes_pending",
        ] {
            _ = Gauge(label: name)
        }
        var counters = [
            "kubeproxy_sync_proxy_rules_endpoint_changes_total", "kubeproxy_sync_proxy_rules_service_changes_total",
            "kubeproxy_conntrack_reconciler_deleted_entries_total",
        ]
        counters += [mode.kind.failureMetrics.failures, mode.kind.failureMetrics.partialFailures].compactMap { $0 }
        for name in counters { _ = Counter(label: name) }
        _ = Timer(label: "kubeproxy_conntrack_reconciler_sync_duration_seconds")
    }

    public func queued(at time: Date) {
        Gauge(label: "kubeproxy_sync_proxy_rules_last_queued_timestamp_seconds").record(time.timeIntervalSince1970)
    }

    public func record(_ report: SyncReport) {
        for family in report.families {
            let labels = [("ip_family", family.rawValue)]
            Timer(label: "kubeproxy_sync_proxy_rules_duration_seconds", dimensions: labels).recordNanoseconds(report.duration.nanoseconds)
            let kind = report.isFull ? "kubeproxy_sync_full_proxy_rules_duration_seconds" : "kubeproxy_sync_partial_proxy_rules_duration_seconds"
            Timer(label: kind, dimensions: labels).recordNanoseconds(report.duration.nanoseconds)
            if let counts = report.noLocalEndpoints[family] {
                Gauge(label: "kubeproxy_sync_proxy_rules_no_local_endpoints_total", dimensions: labels + [("traffic_policy", "internal")]).record(counts.internal)
                Gauge(label: "kubeproxy_sync_proxy_rules_no_local_endpoints_total", dimensions: labels + [("traffic_policy", "external")]).record(counts.external)
            }
        }
        if let cleanup = report.conntrackCleanup {
            conntrackReconciled(deleted: cleanup.deleted, duration: cleanup.duration)
        }
        guard report.succeeded else {
            let failureMetrics = mode.kind.failureMetrics
            if let failures = failureMetrics.failures { Counter(label: failures).increment() }
            if !report.isFull, let partialFailures = failureMetrics.partialFailures { Counter(label: partialFailures).increment() }
            return
        }
        Gauge(label: "kubeproxy_sync_proxy_rules_last_timestamp_seconds").record(Date().timeIntervalSince1970)
        // proxyd's own: Service ports not programmed because the kernel refused their rules (alert when > 0).
        for family in report.families {
            Gauge(label: "proxyd_sync_proxy_rules_refused_service_ports", dimensions: [("ip_family", family.rawValue)])
                .record(report.refusedServicePorts[family] ?? 0)
        }
        Counter(label: "kubeproxy_sync_proxy_rules_endpoint_changes_total").increment(by: report.endpointChanges)
        Counter(label: "kubeproxy_sync_proxy_rules_service_changes_total").increment(by: report.serviceChanges)
        Gauge(label: "kubeproxy_sync_proxy_rules_endpoint_changes_pending").record(0)
        Gauge(label: "kubeproxy_sync_proxy_rules_service_changes_pending").record(0)
        for (family, latency) in report.networkProgrammingLatencies {
            Timer(label: "kubeproxy_network_programming_duration_seconds", dimensions: [("ip_family", family.rawValue)])
                .recordNanoseconds(latency.nanoseconds)
        }
    }

    public func pending(endpointChanges: Int, serviceChanges: Int) {
        Gauge(label: "kubeproxy_sync_proxy_rules_endpoint_changes_pending").record(endpointChanges)
        Gauge(label: "kubeproxy_sync_proxy_rules_service_changes_pending").record(serviceChanges)
    }

    public func conntrackReconciled(deleted: Int, duration: Duration) {
        Counter(label: "kubeproxy_conntrack_reconciler_deleted_entries_total").increment(by: deleted)
        Timer(label: "kubeproxy_conntrack_reconciler_sync_duration_seconds").recordNanoseconds(duration.nanoseconds)
    }

    public func healthz(code: Int) {
        Counter(label: "kubeproxy_proxy_healthz_total", dimensions: [("code", String(code))]).increment()
    }

    public func livez(code: Int) {
        Counter(label: "kubeproxy_proxy_livez_total", dimensions: [("code", String(code))]).increment()
    }

    /// The Prometheus text exposition of everything recorded, and the process's `process_*` metrics read now.
    public func exposition() -> String { registry.emitToString() + ProcessMetrics.read().exposition }
}

extension Duration {
    /// Whole nanoseconds, saturating at Int64's bounds (about ±292 years) as Go's `time.Since` does: a latency
    /// measured from a hostile `last-change-trigger-time` in year 1 lands in the +Inf bucket instead of trapping.
    public var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (whole, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? .min : .max }
        let (total, overflowSum) = whole.addingReportingOverflow(attoseconds / 1_000_000_000)
        if overflowSum { return seconds < 0 ? .min : .max }
        return total
    }
}
