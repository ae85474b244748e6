import Backends
import Logging

/// What proxyd does to the node before it syncs rules: kube-proxy's conntrack tuning (`--conntrack-*`,
/// `conntrack` in the configuration file). Run at daemon start and, alone, by `--init-only`.
enum NodeSetup {
    /// Applies the tuning in the current network namespace and logs what changed; refusals (a read-only
    /// `/sys`, a sysctl that is global outside the initial namespace) are warnings, never failures.
    @discardableResult
    static func tune(_ options: ResolvedOptions, logger: Logger) -> NodeTuningReport {
        // route_localnet is only for the iptables mode's localhost NodePorts; nftables never needs it, and the
        // iptables backend will ask for it when it serves them.
        let report = NodeTuningApplier().apply(options.conntrack, routeLocalnet: false)
        for change in report.changes {
            logger.info("set \(change.name)", metadata: ["from": "\(change.old.map(String.init) ?? "?")", "to": "\(change.new)"])
        }
        if !report.unchanged.isEmpty {
            logger.debug("node tuning already in place: \(report.unchanged.joined(separator: ", "))")
        }
        for warning in report.warnings { logger.warning("\(warning)") }
        return report
    }
}
