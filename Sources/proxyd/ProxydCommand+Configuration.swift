import ArgumentParser
import Backends
import Foundation
import Logging
import ProxydConfiguration
import ProxyRuntime
import ServiceModel

/// How flags and the `--config` file combine into the effective configuration, as kube-proxy does it
/// (`cmd/kube-proxy/app/options.go`, `Complete`): without --config the flags (and defaults) are the
/// configuration; with --config the file is, and flags that set one of its fields are ignored, except
/// `--hostname-override` and the logging flag `-v`, which take precedence over the file.
extension ProxydCommand {
    /// The flags and the file resolved; run flags (`--once`, …) are left to ``resolve()``.
    func resolveConfiguration() throws -> ResolvedOptions {
        guard let config else {
            let periods = SyncPeriodFlags(daemon: daemon, ipvs: ipvs, mode: flagMode)
            var options = try ResolvedOptions(
                effective: flagConfiguration().withDefaults(), origin: .flags(names: periods.names),
                hostName: LocalAddresses.hostName)
            if let bindAddress, !["", "0.0.0.0", "::"].contains(bindAddress) {
                options.ignoredSettings.append(
                    "--bind-address (proxyd takes the node's primary IPs from its Node object)")
            }
            options.ignoredSettings += periods.ignoredSettings
            // As kube-proxy's, the --ipvs-* flags fill the ipvs section whatever the mode; only ipvs mode reads it.
            if options.mode != .ipvs {
                options.ignoredSettings += ipvs.givenFlags.map { "\($0) (only ipvs mode uses it)" }
            }
            return options
        }
        if let verbosity, !(0...10).contains(verbosity) {
            throw ValidationError("--v \(verbosity) is out of range; use 0 to 10")
        }
        let file = try ConfigurationFile.read(path: config)
        var configuration = file.configuration
        if let hostnameOverride { configuration.hostnameOverride = hostnameOverride }
        if let verbosity { configuration.logging.verbosity = verbosity }
        var options = try ResolvedOptions(
            effective: configuration.withDefaults(), origin: .file(path: file.path, lines: file.lines),
            hostName: LocalAddresses.hostName)
        options.configFile = config
        options.ignoredFlags = configurationFlagsGiven.filter { $0 != "--hostname-override" && $0 != "--v" }
        options.ignoredSettings = file.configuration.ignoredSettings()
        return options
    }

    /// The configuration the flags describe: fields of flags not given stay nil (defaults come later).
    func flagConfiguration() -> KubeProxyConfiguration {
        var configuration = KubeProxyConfiguration()
        let mode = flagMode
        configuration.mode = proxyMode?.rawValue
        configuration.hostnameOverride = hostnameOverride
        configuration.bindAddress = bindAddress
        configuration.clusterCIDR = clusterCIDR
        configuration.detectLocalMode = detectLocalMode
        configuration.detectLocal.bridgeInterface = podBridgeInterface
        configuration.detectLocal.interfaceNamePrefix = podInterfaceNamePrefix
        configuration.nodePortAddresses = nodePortAddresses.map {
            $0.split(separator: ",").map { $0.trimmingWhitespace }.filter { !$0.isEmpty }
        }
        // --masquerade-all sets the selected mode's section, as kube-proxy's flag does.
        if masqueradeAll {
            if mode == .nftables { configuration.nftables.masqueradeAll = true } else { configuration.iptables.masqueradeAll = true }
        }
        configuration.iptables.masqueradeBit = iptablesMasqueradeBit
        configuration.iptables.localhostNodePorts = iptablesLocalhostNodeports
        configuration.serviceProxyName = serviceProxyName
        configuration.logging.verbosity = verbosity
        daemon.apply(to: &configuration)
        conntrack.apply(to: &configuration)
        ipvs.apply(to: &configuration)
        SyncPeriodFlags(daemon: daemon, ipvs: ipvs, mode: mode).apply(to: &configuration, mode: mode)
        apiServer.apply(to: &configuration)
        return configuration
    }

    /// The mode the flags select: --proxy-mode, or proxyd's default.
    var flagMode: ProxyMode { proxyMode ?? ProxyMode(rawValue: KubeProxyConfiguration.defaultMode)! }

    /// The flags given that set a field of the configuration (those --config makes kube-proxy ignore).
    var configurationFlagsGiven: [String] {
        let own: [String?] = [
            proxyMode.map { _ in "--proxy-mode" }, hostnameOverride.map { _ in "--hostname-override" },
            bindAddress.map { _ in "--bind-address" }, clusterCIDR.map { _ in "--cluster-cidr" },
            detectLocalMode.map { _ in "--detect-local-mode" }, podBridgeInterface.map { _ in "--pod-bridge-interface" },
            podInterfaceNamePrefix.map { _ in "--pod-interface-name-prefix" },
            nodePortAddresses.map { _ in "--nodeport-addresses" }, masqueradeAll ? "--masquerade-all" : nil,
            iptablesMasqueradeBit.map { _ in "--iptables-masquerade-bit" },
            iptablesLocalhostNodeports.map { _ in "--iptables-localhost-nodeports" },
            serviceProxyName.map { _ in "--service-proxy-name" }, verbosity.map { _ in "--v" },
        ]
        return own.compactMap { $0 } + daemon.givenFlags + conntrack.givenFlags + ipvs.givenFlags + apiServer.givenFlags
    }

    /// Logs the effective configuration once at start: warnings for what is ignored, one info line with what
    /// proxyd acts on (debug for --dry-run, whose output is the point), and the whole file at -v 2.
    static func logConfiguration(_ options: ResolvedOptions, logger: Logger) {
        if let file = options.configFile {
            for flag in options.ignoredFlags {
                logger.warning("\(flag) is ignored because --config is given (as kube-proxy does); set it in \(file)")
            }
        }
        for setting in options.ignoredSettings {
            logger.warning("ignoring \(setting)")
        }
        let c = options.effectiveConfiguration
        let conntrack = c.conntrack
        let metadata: Logger.Metadata = [
            "source": "\(options.configFile ?? "flags")", "mode": "\(options.mode)",
            "node": "\(options.configuration.nodeName)", "clusterCIDR": "\(c.clusterCIDR ?? "")",
            "detectLocalMode": "\(options.configuration.detectLocal)",
            "nodePortAddresses": "\((c.nodePortAddresses ?? []).joined(separator: ","))",
            "masqueradeAll": "\(options.configuration.masqueradeAll)",
            "syncPeriod": "\(options.daemon.syncPeriod)", "minSyncPeriod": "\(options.daemon.minSyncPeriod)",
            "healthz": "\(options.daemon.healthzBindAddress)", "metrics": "\(options.daemon.metricsBindAddress)",
            "conntrack": "maxPerCore=\(conntrack.maxPerCore ?? 0),min=\(conntrack.min ?? 0),tcpEstablished=\(conntrack.tcpEstablishedTimeout ?? GoDuration(.zero)),tcpCloseWait=\(conntrack.tcpCloseWaitTimeout ?? GoDuration(.zero)),tcpBeLiberal=\(conntrack.tcpBeLiberal ?? false),udp=\(conntrack.udpTimeout ?? GoDuration(.zero)),udpStream=\(conntrack.udpStreamTimeout ?? GoDuration(.zero))",
            "kubeconfig": "\(options.clientConnection.kubeconfig ?? "")",
            "qps": "\(options.clientConnection.qps)", "burst": "\(options.clientConnection.burst)",
            "serviceProxyName": "\(options.configuration.serviceProxyName ?? "")",
        ]
        logger.log(level: options.dryRun ? .debug : .info, "configuration", metadata: metadata)
        logger.debug("effective configuration:\n\(c.yaml())")
    }
}
