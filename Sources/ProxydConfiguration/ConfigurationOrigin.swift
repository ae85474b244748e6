import ArgumentParser

/// Where the effective configuration came from — the command line or a `--config` file — so that an error
/// names what the operator wrote: the flag (`--cluster-cidr "x" is not a CIDR`) or the file, line and field
/// (`config.yaml:7: clusterCIDR "x" is not a CIDR`).
public enum ConfigurationOrigin: Sendable, Equatable {
    case flags
    /// The file, and the line of each field path in it.
    case file(path: String, lines: [String: Int])

    /// How the operator spells the field at `path` of KubeProxyConfiguration (`conntrack.maxPerCore`).
    public func name(_ path: String) -> String {
        switch self {
        case .flags: Self.flagNames[path] ?? path
        case .file: path
        }
    }

    /// An error about the field at `path`; `message` names the field with ``name(_:)``.
    public func error(_ path: String, _ message: String) -> any Error {
        switch self {
        case .flags: ValidationError(message)
        case .file(let file, let lines): ConfigurationError(file: file, line: lines[path], message)
        }
    }

    /// The flag that sets each field, when proxyd reads flags instead of a file. The sync-period and masquerade
    /// flags set the section of the selected mode, as kube-proxy's do.
    public static let flagNames: [String: String] = [
        "mode": "--proxy-mode",
        "hostnameOverride": "--hostname-override",
        "bindAddress": "--bind-address",
        "healthzBindAddress": "--healthz-bind-address",
        "metricsBindAddress": "--metrics-bind-address",
        "clusterCIDR": "--cluster-cidr",
        "detectLocalMode": "--detect-local-mode",
        "detectLocal.bridgeInterface": "--pod-bridge-interface",
        "detectLocal.interfaceNamePrefix": "--pod-interface-name-prefix",
        "nodePortAddresses": "--nodeport-addresses",
        "serviceProxyName": "--service-proxy-name",
        "iptables.masqueradeBit": "--iptables-masquerade-bit",
        "iptables.localhostNodePorts": "--iptables-localhost-nodeports",
        "iptables.masqueradeAll": "--masquerade-all",
        "nftables.masqueradeAll": "--masquerade-all",
        "iptables.syncPeriod": "--iptables-sync-period",
        "nftables.syncPeriod": "--iptables-sync-period",
        "ipvs.syncPeriod": "--iptables-sync-period",
        "iptables.minSyncPeriod": "--iptables-min-sync-period",
        "nftables.minSyncPeriod": "--iptables-min-sync-period",
        "ipvs.minSyncPeriod": "--iptables-min-sync-period",
        "conntrack.maxPerCore": "--conntrack-max-per-core",
        "conntrack.min": "--conntrack-min",
        "conntrack.tcpEstablishedTimeout": "--conntrack-tcp-timeout-established",
        "conntrack.tcpCloseWaitTimeout": "--conntrack-tcp-timeout-close-wait",
        "conntrack.tcpBeLiberal": "--conntrack-tcp-be-liberal",
        "conntrack.udpTimeout": "--conntrack-udp-timeout",
        "conntrack.udpStreamTimeout": "--conntrack-udp-timeout-stream",
        "clientConnection.kubeconfig": "--kubeconfig",
        "clientConnection.qps": "--kube-api-qps",
        "clientConnection.burst": "--kube-api-burst",
        "logging.verbosity": "--v",
    ]
}
