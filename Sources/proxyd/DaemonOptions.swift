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
        name: .customLong("sync-period"),
        help: ArgumentHelp(
            "Full resync at least this often (Go duration), in every mode; /healthz fails after 2× this without a sync. Default: 30s. Takes precedence over --iptables-sync-period and --ipvs-sync-period.",
            valueName: "duration"),
        transform: GoDuration.argument)
    var syncPeriod: GoDuration?

    @Option(
        name: .customLong("min-sync-period"),
        help: ArgumentHelp(
            "Coalesce changes: at most one sync per this period (Go duration), in every mode. Default: 1s, and 0 means the default, as in kube-proxy's file (ipvs mode: 0s, every change syncs at once). Takes precedence over --iptables-min-sync-period and --ipvs-min-sync-period.",
            valueName: "duration"),
        transform: GoDuration.argument)
    var minSyncPeriod: GoDuration?

    @Option(
        name: .customLong("iptables-sync-period"),
        help: ArgumentHelp(
            "As --sync-period, in nftables and iptables mode only (ignored in ipvs mode, as by kube-proxy). --sync-period, if given, takes precedence.",
            valueName: "duration"),
        transform: GoDuration.argument)
    var iptablesSyncPeriod: GoDuration?

    @Option(
        name: .customLong("iptables-min-sync-period"),
        help: ArgumentHelp(
            "As --min-sync-period, in nftables and iptables mode only (ignored in ipvs mode, as by kube-proxy). --min-sync-period, if given, takes precedence.",
            valueName: "duration"),
        transform: GoDuration.argument)
    var iptablesMinSyncPeriod: GoDuration?

    /// Writes the given flags into `configuration`, but for the sync periods (``SyncPeriodFlags``).
    func apply(to configuration: inout KubeProxyConfiguration) {
        configuration.healthzBindAddress = healthzBindAddress
        configuration.metricsBindAddress = metricsBindAddress
    }

    /// The flags given on the command line.
    var givenFlags: [String] {
        [
            healthzBindAddress.map { _ in "--healthz-bind-address" }, metricsBindAddress.map { _ in "--metrics-bind-address" },
            syncPeriod.map { _ in "--sync-period" }, minSyncPeriod.map { _ in "--min-sync-period" },
            iptablesSyncPeriod.map { _ in "--iptables-sync-period" },
            iptablesMinSyncPeriod.map { _ in "--iptables-min-sync-period" },
        ].compactMap { $0 }
    }
}
