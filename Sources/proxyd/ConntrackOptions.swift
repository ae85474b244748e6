import ArgumentParser
import ProxydConfiguration

/// kube-proxy's `--conntrack-*` flags: node tuning of connection tracking (`conntrack` in the configuration
/// file). Optional: nil means not given (kube-proxy's default, or the file's value with --config).
struct ConntrackOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "Connections to track per CPU core: nf_conntrack_max = max(this × CPUs, --conntrack-min). 0 leaves the limit as it is. Default: 32768.",
        valueName: "count"))
    var conntrackMaxPerCore: Int?

    @Option(help: ArgumentHelp(
        "Lower bound of nf_conntrack_max, whatever the number of cores. Default: 131072.", valueName: "count"))
    var conntrackMin: Int?

    @Option(
        name: .customLong("conntrack-tcp-timeout-established"),
        help: ArgumentHelp("Idle timeout of established TCP connections (Go duration; 0 leaves it as it is). Default: 24h.", valueName: "duration"),
        transform: GoDuration.argument)
    var conntrackTCPEstablishedTimeout: GoDuration?

    @Option(
        name: .customLong("conntrack-tcp-timeout-close-wait"),
        help: ArgumentHelp("Timeout of TCP connections in CLOSE_WAIT (Go duration; 0 leaves it as it is). Default: 1h.", valueName: "duration"),
        transform: GoDuration.argument)
    var conntrackTCPCloseWaitTimeout: GoDuration?

    @Flag(
        name: .customLong("conntrack-tcp-be-liberal"),
        help: "Track TCP liberally: packets outside the window are not marked INVALID (nf_conntrack_tcp_be_liberal=1).")
    var conntrackTCPBeLiberal = false

    @Option(
        name: .customLong("conntrack-udp-timeout"),
        help: ArgumentHelp("Idle timeout of UNREPLIED UDP flows (Go duration; 0 leaves it as it is). Default: unchanged.", valueName: "duration"),
        transform: GoDuration.argument)
    var conntrackUDPTimeout: GoDuration?

    @Option(
        name: .customLong("conntrack-udp-timeout-stream"),
        help: ArgumentHelp("Idle timeout of ASSURED UDP flows (Go duration; 0 leaves it as it is). Default: unchanged.", valueName: "duration"),
        transform: GoDuration.argument)
    var conntrackUDPStreamTimeout: GoDuration?

    /// Boolean flags that also take kube-proxy's `--flag=true|false` form.
    static let booleanFlags = ["conntrack-tcp-be-liberal"]

    /// Writes the given flags into `configuration.conntrack`.
    func apply(to configuration: inout KubeProxyConfiguration) {
        configuration.conntrack.maxPerCore = conntrackMaxPerCore
        configuration.conntrack.min = conntrackMin
        configuration.conntrack.tcpEstablishedTimeout = conntrackTCPEstablishedTimeout
        configuration.conntrack.tcpCloseWaitTimeout = conntrackTCPCloseWaitTimeout
        configuration.conntrack.tcpBeLiberal = conntrackTCPBeLiberal ? true : nil
        configuration.conntrack.udpTimeout = conntrackUDPTimeout
        configuration.conntrack.udpStreamTimeout = conntrackUDPStreamTimeout
    }

    /// The flags given on the command line.
    var givenFlags: [String] {
        [
            conntrackMaxPerCore.map { _ in "--conntrack-max-per-core" }, conntrackMin.map { _ in "--conntrack-min" },
            conntrackTCPEstablishedTimeout.map { _ in "--conntrack-tcp-timeout-established" },
            conntrackTCPCloseWaitTimeout.map { _ in "--conntrack-tcp-timeout-close-wait" },
            conntrackTCPBeLiberal ? "--conntrack-tcp-be-liberal" : nil,
            conntrackUDPTimeout.map { _ in "--conntrack-udp-timeout" },
            conntrackUDPStreamTimeout.map { _ in "--conntrack-udp-timeout-stream" },
        ].compactMap { $0 }
    }
}
