import ArgumentParser
import ProxydConfiguration
import ServiceModel

/// kube-proxy's `--ipvs-*` flags: the `ipvs` section of the configuration file, which ipvs mode runs with.
/// Optional: nil means not given (kube-proxy's default, or the file's value with --config). As kube-proxy's,
/// they set the section whatever the mode; only ipvs mode reads it (and checks it).
struct IPVSOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "The IPVS scheduler of every virtual server in ipvs mode: rr (default), wrr, lc, wlc, lblc, lblcr, sh, dh, sed, nq or mh.",
        valueName: "scheduler"))
    var ipvsScheduler: String?

    @Option(
        name: .customLong("ipvs-sync-period"),
        help: ArgumentHelp(
            "In ipvs mode only, full resync at least this often (Go duration, e.g. 5s, 1m, 2h22m). --sync-period, if given, takes precedence.",
            valueName: "duration"),
        transform: GoDuration.argument)
    var ipvsSyncPeriod: GoDuration?

    @Option(
        name: .customLong("ipvs-min-sync-period"),
        help: ArgumentHelp(
            "In ipvs mode only, the minimum period between syncs (Go duration). Default: 0s, every Service or EndpointSlice change syncs at once, as in kube-proxy. --min-sync-period, if given, takes precedence.",
            valueName: "duration"),
        transform: GoDuration.argument)
    var ipvsMinSyncPeriod: GoDuration?

    @Option(
        name: .customLong("ipvs-exclude-cidrs"),
        help: ArgumentHelp(
            "Comma-separated CIDRs whose IPVS virtual servers proxyd never deletes when it cleans up (they are someone else's). May be repeated.",
            valueName: "cidrs"))
    var ipvsExcludeCIDRs: [String] = []

    @Flag(
        name: .customLong("ipvs-strict-arp"),
        help: "In ipvs mode, answer ARP only for addresses of the receiving interface (arp_ignore=1, arp_announce=2).")
    var ipvsStrictARP = false

    @Option(
        name: .customLong("ipvs-tcp-timeout"),
        help: ArgumentHelp(
            "In ipvs mode, IPVS's timeout of idle TCP connections (Go duration, whole seconds; ipvsadm --set). 0 (the default) leaves the kernel's.",
            valueName: "duration"),
        transform: GoDuration.argument)
    var ipvsTCPTimeout: GoDuration?

    @Option(
        name: .customLong("ipvs-tcpfin-timeout"),
        help: ArgumentHelp(
            "In ipvs mode, IPVS's timeout of TCP connections after a FIN (Go duration, whole seconds; ipvsadm --set). 0 (the default) leaves the kernel's.",
            valueName: "duration"),
        transform: GoDuration.argument)
    var ipvsTCPFinTimeout: GoDuration?

    @Option(
        name: .customLong("ipvs-udp-timeout"),
        help: ArgumentHelp(
            "In ipvs mode, IPVS's timeout of UDP flows (Go duration, whole seconds; ipvsadm --set). 0 (the default) leaves the kernel's.",
            valueName: "duration"),
        transform: GoDuration.argument)
    var ipvsUDPTimeout: GoDuration?

    /// Boolean flags that also take kube-proxy's `--flag=true|false` form.
    static let booleanFlags = ["ipvs-strict-arp"]

    /// Writes the given flags into `configuration.ipvs`.
    func apply(to configuration: inout KubeProxyConfiguration) {
        configuration.ipvs.scheduler = ipvsScheduler
        configuration.ipvs.syncPeriod = ipvsSyncPeriod
        configuration.ipvs.minSyncPeriod = ipvsMinSyncPeriod
        // kube-proxy's string slice: comma-separated, repeats append.
        configuration.ipvs.excludeCIDRs = ipvsExcludeCIDRs.isEmpty ? nil : ipvsExcludeCIDRs.flatMap {
            $0.split(separator: ",").map { $0.trimmingWhitespace }.filter { !$0.isEmpty }
        }
        configuration.ipvs.strictARP = ipvsStrictARP ? true : nil
        configuration.ipvs.tcpTimeout = ipvsTCPTimeout
        configuration.ipvs.tcpFinTimeout = ipvsTCPFinTimeout
        configuration.ipvs.udpTimeout = ipvsUDPTimeout
    }

    /// The flags given on the command line.
    var givenFlags: [String] {
        [
            ipvsScheduler.map { _ in "--ipvs-scheduler" }, ipvsSyncPeriod.map { _ in "--ipvs-sync-period" },
            ipvsMinSyncPeriod.map { _ in "--ipvs-min-sync-period" }, ipvsExcludeCIDRs.isEmpty ? nil : "--ipvs-exclude-cidrs",
            ipvsStrictARP ? "--ipvs-strict-arp" : nil, ipvsTCPTimeout.map { _ in "--ipvs-tcp-timeout" },
            ipvsTCPFinTimeout.map { _ in "--ipvs-tcpfin-timeout" }, ipvsUDPTimeout.map { _ in "--ipvs-udp-timeout" },
        ].compactMap { $0 }
    }
}
