/// The long-running daemon's settings, resolved from flags (``DaemonOptions``) or the configuration file.
public struct DaemonSettings: Sendable, Equatable {
    /// Where /healthz and /livez answer; port 0 turns the server off.
    public var healthzBindAddress: String = "0.0.0.0:10256"
    /// Where /metrics, /healthz, /proxyMode, /debug/rules and /debug/model answer; port 0 turns it off.
    public var metricsBindAddress: String = "127.0.0.1:10249"
    /// At most one sync per this period.
    public var minSyncPeriod = GoDuration(.seconds(1))
    /// A full resync at least this often; /healthz fails after 2× this without a sync.
    public var syncPeriod = GoDuration(.seconds(30))
}
