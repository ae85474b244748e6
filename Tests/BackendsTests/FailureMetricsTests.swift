import Backends
import Testing

/// The counters each mode increments on a failed sync carry kube-proxy's names for that mode, so that dashboards and
/// alerts written for kube-proxy keep working.
@Suite("Failed-sync counters per mode")
struct FailureMetricsTests {
    @Test(arguments: [
        (ProxyMode.nftables, FailureMetrics(failures: "kubeproxy_sync_proxy_rules_nftables_sync_failures_total")),
        (ProxyMode.iptables, FailureMetrics(
            failures: "kubeproxy_sync_proxy_rules_iptables_restore_failures_total",
            partialFailures: "kubeproxy_sync_proxy_rules_iptables_partial_restore_failures_total")),
        // kube-proxy's IPVS mode increments iptables mode's counter and has no partial syncs.
        (ProxyMode.ipvs, FailureMetrics(failures: "kubeproxy_sync_proxy_rules_iptables_restore_failures_total")),
    ])
    func eachModeCountsFailedSyncsUnderKubeProxysNames(mode: ProxyMode, expected: FailureMetrics) {
        #expect(mode.kind.failureMetrics == expected)
    }
}
