import ArgumentParser

/// Flags of the long-running daemon (kube-proxy's names).
struct DaemonOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Where /healthz and /livez answer (kube-proxy's JSON).", valueName: "host:port"))
    var healthzBindAddress: String = "0.0.0.0:10256"

    @Option(help: ArgumentHelp("Where /metrics, /healthz, /proxyMode, /debug/rules and /debug/model answer.", valueName: "host:port"))
    var metricsBindAddress: String = "127.0.0.1:10249"

    @Option(
        name: [.customLong("iptables-min-sync-period"), .customLong("min-sync-period")],
        help: ArgumentHelp("Coalesce changes: at most one sync per this period (Go duration).", valueName: "duration"))
    var minSyncPeriod: GoDuration = GoDuration(.seconds(1))

    @Option(
        name: [.customLong("iptables-sync-period"), .customLong("sync-period")],
        help: ArgumentHelp("Full resync at least this often (Go duration); /healthz fails after 2× this without a sync.", valueName: "duration"))
    var syncPeriod: GoDuration = GoDuration(.seconds(30))

    func validate() throws {
        if BindAddressValue(healthzBindAddress) == nil {
            throw ValidationError("--healthz-bind-address \"\(healthzBindAddress)\" is not HOST:PORT; write e.g. 0.0.0.0:10256 (port 0 turns it off)")
        }
        if BindAddressValue(metricsBindAddress) == nil {
            throw ValidationError("--metrics-bind-address \"\(metricsBindAddress)\" is not HOST:PORT; write e.g. 127.0.0.1:10249 (port 0 turns it off)")
        }
        if minSyncPeriod.duration < .zero || syncPeriod.duration <= .zero {
            throw ValidationError("sync periods must be positive, e.g. --iptables-sync-period=30s --iptables-min-sync-period=1s")
        }
        if minSyncPeriod.duration > syncPeriod.duration {
            throw ValidationError("--iptables-min-sync-period (\(minSyncPeriod)) must not exceed --iptables-sync-period (\(syncPeriod))")
        }
    }
}
