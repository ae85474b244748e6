import ServiceModel

/// The IPVS mode: virtual servers over generic netlink, Service addresses on a dummy interface.
///
/// Its planner, driver, node requirements and cleanup exist; the backend (a `KernelProgram` over them) does not yet,
/// so `make` refuses and there is no rules output: `--proxy-mode=ipvs` is accepted for `--dry-run --output=model`.
public enum IPVSKind: BackendKind {
    public static let mode = ProxyMode.ipvs
    public static let outputName: String? = nil
    /// IPVS has no transactions: every periodic sync plans in full from the kernel's listing, as kube-proxy's IPVS
    /// mode does, so the full-sync period is the sync period's business.
    public static let resync = ResyncPolicy(periodic: .full, fullSyncPeriod: ResyncPolicy.kubeProxyFullSyncPeriod)
    public static let failureMetrics = FailureMetrics()

    /// IPVS's sysctls (`IPVSNodeTuning`), its modules (the scheduler's included: an unknown one is refused when the
    /// first virtual server is added), and the dummy interface the Service addresses are bound to.
    public static func requirements(_ configuration: BackendConfiguration) -> NodeRequirements {
        NodeRequirements(
            settings: IPVSNodeTuning.settings(strictARP: configuration.ipvs.strictARP),
            modules: ["ip_vs", "ip_vs_\(configuration.ipvs.scheduler.name)", "nf_conntrack"],
            dummyInterface: ProxydNames.ipvsInterface)
    }

    public static func plan(_ states: [DesiredState], _ configuration: BackendConfiguration) -> BackendPlan? { nil }

    public static func make(_ configuration: BackendConfiguration) async throws(BackendSyncError) -> any Backend {
        throw BackendSyncError(
            .unavailable, message: "--proxy-mode=ipvs is not available in this version; use --proxy-mode=nftables or iptables")
    }

    public static var cleanupSteps: [CleanupStep] {
        [
            CleanupStep("IPVS virtual servers") { [IPVSCleanup.removeVirtualServers()] },
            CleanupStep("IPVS dummy interface") { [IPVSCleanup.removeDummyInterface()] },
            CleanupStep("ipsets") { [await IPVSCleanup.removeIpsets()] },
        ]
    }
}
