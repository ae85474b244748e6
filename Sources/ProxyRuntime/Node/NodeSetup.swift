import Backends
import Logging
import ServiceModel

/// What proxyd does to the node before it syncs rules: kube-proxy's conntrack tuning (`--conntrack-*`,
/// `conntrack` in the configuration file). Run at daemon start and, alone, by `--init-only`.
public enum NodeSetup {
    /// Applies the tuning in the current network namespace and logs what changed; refusals (a read-only
    /// `/sys`, a sysctl that is global outside the initial namespace) are warnings, never failures.
    ///
    /// - Parameter routeLocalnet: the iptables mode's localhost NodePorts need `route_localnet=1`; nftables never.
    @discardableResult
    public static func tune(_ conntrack: ConntrackTuning, routeLocalnet: Bool, logger: Logger) -> NodeTuningReport {
        let report = NodeTuningApplier().apply(conntrack, routeLocalnet: routeLocalnet)
        for change in report.changes {
            logger.info("set \(change.name)", metadata: ["from": "\(change.old.map(String.init) ?? "?")", "to": "\(change.new)"])
        }
        if !report.unchanged.isEmpty {
            logger.debug("node tuning already in place: \(report.unchanged.joined(separator: ", "))")
        }
        for warning in report.warnings { logger.warning("\(warning)") }
        return report
    }

    /// What the rules themselves need of the node, for `--once` (which leaves conntrack tuning to the daemon and
    /// `--init-only`): `route_localnet=1` when the iptables mode serves NodePorts on 127.0.0.1.
    public static func prepareForRules(routeLocalnet: Bool, logger: Logger) {
        guard routeLocalnet else { return }
        let nothing = ConntrackTuning(maxPerCore: nil, min: nil, tcpEstablishedTimeout: nil, tcpCloseWaitTimeout: nil)
        let report = NodeTuningApplier().apply(nothing, routeLocalnet: true)
        for change in report.changes {
            logger.info("set \(change.name) for localhost NodePorts", metadata: ["from": "\(change.old.map(String.init) ?? "?")", "to": "\(change.new)"])
        }
        for warning in report.warnings { logger.warning("\(warning)") }
    }
}
