import ServiceModel

/// The IPVS mode: virtual servers over generic netlink, Service addresses on a dummy interface, masquerade, hairpin,
/// source ranges and the Local policies' drops as a fixed set of iptables rules over ipsets (`IPVSProgram`).
public enum IPVSKind: BackendKind {
    public static let mode = ProxyMode.ipvs
    public static let outputName: String? = "ipvs"
    public static var resync: ResyncPolicy { IPVSProgram.resync }
    /// kube-proxy's IPVS mode counts a failed sync in iptables mode's counter (its `syncProxyRules` increments
    /// `IPTablesRestoreFailuresTotal` when its `iptables-restore` fails); it has no partial syncs to count.
    public static let failureMetrics = FailureMetrics(failures: "kubeproxy_sync_proxy_rules_iptables_restore_failures_total")

    /// The iptables flavour the node's rules are in, as iptables mode settles it (IPVS mode's rules go there too).
    public static func settle(_ configuration: BackendConfiguration) async -> (BackendConfiguration, notes: [String]) {
        await IptablesKind.settle(configuration)
    }

    /// IPVS's sysctls (`IPVSNodeTuning`), its modules (the scheduler's included: an unknown one is refused when the
    /// first virtual server is added), and the dummy interface the Service addresses are bound to.
    public static func requirements(_ configuration: BackendConfiguration) -> NodeRequirements {
        NodeRequirements(
            settings: IPVSNodeTuning.settings(strictARP: configuration.ipvs.strictARP),
            modules: ["ip_vs", "ip_vs_\(configuration.ipvs.scheduler.name)", "nf_conntrack"],
            dummyInterface: ProxydNames.ipvsInterface)
    }

    /// The mark bits of IPVS mode's rules: the masquerade bit as configured, the drop bit 15 (14 when the masquerade
    /// bit is 15: the two must differ).
    static func iptablesSettings(_ configuration: BackendConfiguration) -> IPVSIptablesSettings {
        IPVSIptablesSettings(masqueradeBit: configuration.masqueradeBit, dropBit: configuration.masqueradeBit == 15 ? 14 : 15)
    }

    /// What a node where proxyd has not run gets: the node settings, every virtual server, set and rule.
    public static func plan(_ states: [DesiredState], _ configuration: BackendConfiguration) -> BackendPlan? {
        let output = IPVSModeRenderer(settings: configuration.ipvs, iptables: iptablesSettings(configuration)).full(states, listed: nil)
        return BackendPlan(text: output.transaction.text, warnings: output.warnings)
    }

    public static func make(_ configuration: BackendConfiguration) async throws(BackendSyncError) -> any Backend {
        let kernel = try await IPVSModeDriver(flavour: configuration.iptablesFlavour ?? .nft, networkNamespace: configuration.networkNamespace)
        return SyncEngine(IPVSProgram(kernel: kernel, settings: configuration.ipvs, iptables: iptablesSettings(configuration)))
    }

    public static var cleanupSteps: [CleanupStep] {
        [
            CleanupStep("IPVS virtual servers") { [IPVSCleanup.removeVirtualServers()] },
            CleanupStep("IPVS dummy interface") { [IPVSCleanup.removeDummyInterface()] },
            CleanupStep("ipsets") { [await IPVSCleanup.removeIpsets()] },
        ]
    }
}
