import ArgumentParser
import Backends
import ProxydConfiguration

/// Flags of the long-running daemon (kube-proxy's names). Optional: nil means not given, so that the value
/// comes from the defaults (or, with --config, from the file); ``DaemonSettings`` holds the resolved values.
struct DaemonOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "Where /healthz and /livez answer (kube-proxy's JSON). Default: 0.0.0.0:10256; port 0 turns it off.",
        valueName: "host:port"))
    var healthzBindAddress: String?

    @Option(help: ArgumentHelp(
        "Where /metrics, /healthz, /proxyMode, /debug/rules and /debug/model answer. Default: 127.0.0.1:10249; port 0 turns it off.",
        valueName: "host:port"))
    var metricsBindAddress: String?

    @Option(
        name: [.customLong("iptables-min-sync-period"), .customLong("min-sync-period")],
        help: ArgumentHelp(
            "Coalesce changes: at most one sync per this period (Go duration), in nftables and iptables mode (ipvs mode: --ipvs-min-sync-period). Default: 1s; 0 means the default, as in kube-proxy's file.",
            valueName: "duration"),
        transform: GoDuration.argument)
    var minSyncPeriod: GoDuration?

    @Option(
        name: [.customLong("iptables-sync-period"), .customLong("sync-period")],
        help: ArgumentHelp(
            "Full resync at least this often (Go duration), in nftables and iptables mode (ipvs mode: --ipvs-sync-period); /healthz fails after 2× this without a sync. Default: 30s.",
            valueName: "duration"),
        transform: GoDuration.argument)
    var syncPeriod: GoDuration?

    /// Writes the given flags into `configuration`; the sync periods go to the section of `mode`, as
    /// kube-proxy's flags do. In ipvs mode they set nothing: kube-proxy ignores them there
    /// (`processV1Alpha1Flags`), the ipvs section's periods being `--ipvs-sync-period` and `--ipvs-min-sync-period`.
    func apply(to configuration: inout KubeProxyConfiguration, mode: ProxyMode) {
        configuration.healthzBindAddress = healthzBindAddress
        configuration.metricsBindAddress = metricsBindAddress
        switch mode {
        case .nftables:
            configuration.nftables.syncPeriod = syncPeriod
            configuration.nftables.minSyncPeriod = minSyncPeriod
        case .iptables:
            configuration.iptables.syncPeriod = syncPeriod
            configuration.iptables.minSyncPeriod = minSyncPeriod
        case .ipvs:
            break
        }
    }

    /// The sync-period flags given, which ipvs mode ignores (``apply(to:mode:)``).
    var givenSyncPeriodFlags: [String] {
        [minSyncPeriod.map { _ in "--iptables-min-sync-period" }, syncPeriod.map { _ in "--iptables-sync-period" }].compactMap { $0 }
    }

    /// The flags given on the command line.
    var givenFlags: [String] {
        [
            healthzBindAddress.map { _ in "--healthz-bind-address" }, metricsBindAddress.map { _ in "--metrics-bind-address" },
            minSyncPeriod.map { _ in "--iptables-min-sync-period" }, syncPeriod.map { _ in "--iptables-sync-period" },
        ].compactMap { $0 }
    }
}
