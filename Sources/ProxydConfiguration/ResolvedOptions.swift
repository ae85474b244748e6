import Backends
import ServiceModel

/// The validated command line and configuration file.
public struct ResolvedOptions: Sendable {
    public var mode: ProxyMode
    public var configuration: ProxyConfiguration
    public var objectsPath: String?
    public var once: Bool
    public var dryRun: Bool
    public var cleanup: Bool
    public var daemon: DaemonSettings
    public var output: OutputFormat
    public var verbosity: Int
    /// The API server, when objects do not come from --objects files.
    public var clientConnection = ClientConnectionSettings()
    /// Node tuning for connection tracking (applied at start and by --init-only).
    public var conntrack = ConntrackTuning.kubeProxyDefaults
    /// --init-only: apply node tuning and exit.
    public var initOnly = false
    /// `--iptables-flavour`: which iptables the iptables mode runs.
    public var iptablesFlavour = IptablesFlavourOption.auto
    /// `iptables.localhostNodePorts`: IPv4 NodePorts also on 127.0.0.1 (iptables mode).
    public var localhostNodePorts = true
    /// The bit of the packet mark that flags traffic to masquerade (`iptables.masqueradeBit`, or
    /// `nftables.masqueradeBit` in nftables mode, which proxyd only accepts as 14).
    public var masqueradeBit = 14
    /// The `ipvs` section, resolved in ipvs mode.
    public var ipvs = IPVSSettings()
    /// The configuration everything above was resolved from, defaults filled in: logged at start and written by
    /// --write-config-to.
    public var effectiveConfiguration = KubeProxyConfiguration().withDefaults()
    /// --config: the file the configuration was read from.
    public var configFile: String?
    /// --write-config-to: write `effectiveConfiguration` here and exit.
    public var writeConfigTo: String?
    /// Flags given with --config that the file overrides (warned about at start).
    public var ignoredFlags: [String] = []
    /// Settings given that proxyd accepts but does not act on, each with the reason (warned about at start).
    public var ignoredSettings: [String] = []
}

extension ResolvedOptions {
    /// What the backend of `mode` is built from; the iptables flavour is left to the node with
    /// `--iptables-flavour=auto` (`BackendKind.settle`).
    public var backend: BackendConfiguration {
        let flavour: IptablesFlavour? =
            switch iptablesFlavour {
            case .auto: nil
            case .nft: .nft
            case .legacy: .legacy
            }
        return BackendConfiguration(
            mode: mode, masqueradeBit: masqueradeBit, localhostNodePorts: localhostNodePorts, iptablesFlavour: flavour,
            conntrackTCPBeLiberal: conntrack.tcpBeLiberal, ipvs: ipvs, nodePortAddresses: configuration.nodePortAddresses)
    }

    /// What the mode needs of the node (`BackendKind.requirements`).
    public var nodeRequirements: NodeRequirements { mode.kind.requirements(backend) }
}
