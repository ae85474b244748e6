import Foundation
import ServiceModel

/// The iptables mode: kube-proxy's iptables layout under `PROXYD-` names, through `iptables-restore`.
public enum IptablesKind: BackendKind {
    public static let mode = ProxyMode.iptables
    public static let outputName: String? = "iptables"
    public static var resync: ResyncPolicy { IptablesProgram.resync }
    public static let failureMetrics = FailureMetrics(
        failures: "kubeproxy_sync_proxy_rules_iptables_restore_failures_total",
        partialFailures: "kubeproxy_sync_proxy_rules_iptables_partial_restore_failures_total")

    /// The flavour the node's rules are in when the configuration leaves it open (as kube-proxy's image decides it;
    /// without privileges the node's legacy tables cannot be read and nft is assumed when legacy ones exist), and
    /// whether the node already accepts out-of-window TCP packets (`nf_conntrack_tcp_be_liberal`), in which case
    /// forwarded INVALID packets are not dropped, as kube-proxy decides it.
    public static func settle(_ configuration: BackendConfiguration) async -> (BackendConfiguration, notes: [String]) {
        var settled = configuration
        var notes: [String] = []
        if settled.iptablesFlavour == nil {
            let flavour = await IptablesDriver.detectFlavour(networkNamespace: configuration.networkNamespace)
            settled.iptablesFlavour = flavour
            notes.append("iptables flavour \(flavour), detected from the node's rules")
        }
        let liberal = (try? String(contentsOfFile: "/proc/sys/net/netfilter/nf_conntrack_tcp_be_liberal", encoding: .utf8))
            .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) != "0" } ?? false
        settled.conntrackTCPBeLiberal = settled.conntrackTCPBeLiberal || liberal
        return (settled, notes)
    }

    /// The renderer's settings.
    public static func settings(_ configuration: BackendConfiguration) -> IptablesSettings {
        IptablesSettings(
            masqueradeBit: configuration.masqueradeBit, localhostNodePorts: configuration.localhostNodePorts,
            conntrackTCPBeLiberal: configuration.conntrackTCPBeLiberal, flavour: configuration.iptablesFlavour ?? .nft)
    }

    /// `route_localnet=1` when NodePorts are served on 127.0.0.1 (kube-proxy's rule; without it the kernel drops
    /// such packets).
    public static func requirements(_ configuration: BackendConfiguration) -> NodeRequirements {
        let localhost = IptablesSettings.needsRouteLocalnet(
            localhostNodePorts: configuration.localhostNodePorts, nodePortAddresses: configuration.nodePortAddresses)
        return NodeRequirements(settings: localhost ? [TuningSetting(.sysctl("net/ipv4/conf/all/route_localnet"), 1)] : [])
    }

    /// What a node where proxyd has not run gets: nothing to list, nothing to remove.
    public static func plan(_ states: [DesiredState], _ configuration: BackendConfiguration) -> BackendPlan? {
        let output = IptablesRenderer(settings: settings(configuration)).full(states, kernel: [:])
        return BackendPlan(text: output.transaction.text, warnings: output.warnings)
    }

    public static func make(_ configuration: BackendConfiguration) async throws(BackendSyncError) -> any Backend {
        let flavour = configuration.iptablesFlavour ?? .nft
        do {
            let driver = try IptablesDriver(flavour: flavour, networkNamespace: configuration.networkNamespace)
            return IptablesBackend(driver: driver, settings: settings(configuration))
        } catch {
            throw BackendSyncError(.unavailable, message: "cannot use iptables: \(error)")
        }
    }

    public static var cleanupSteps: [CleanupStep] {
        [CleanupStep("iptables chains") { await IptablesCleanup.removeChains() }]
    }
}
