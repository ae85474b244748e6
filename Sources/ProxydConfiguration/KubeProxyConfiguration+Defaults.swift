import ServiceModel

extension KubeProxyConfiguration {
    /// proxyd's mode when none is given. (kube-proxy's is iptables; proxyd's flagship backend is nftables.)
    public static let defaultMode = "nftables"

    /// This configuration with kube-proxy's defaults filled in (`pkg/proxy/apis/config/v1alpha1/defaults.go`):
    /// nil, and the zero value of a field that has a default, become the default.
    ///
    /// The result has every field set except `serviceProxyName` (nil when not given), is what proxyd runs with,
    /// logs and writes with `--write-config-to`, and is a fixed point: `c.withDefaults().withDefaults() ==
    /// c.withDefaults()`.
    public func withDefaults() -> KubeProxyConfiguration {
        var c = self
        c.featureGates = featureGates ?? [:]

        c.clientConnection.kubeconfig = clientConnection.kubeconfig ?? ""
        c.clientConnection.acceptContentTypes = clientConnection.acceptContentTypes ?? ""
        c.clientConnection.contentType = nonEmpty(clientConnection.contentType) ?? "application/json"
        c.clientConnection.qps = nonZero(clientConnection.qps) ?? 5
        c.clientConnection.burst = nonZero(clientConnection.burst) ?? 10

        c.logging.format = nonEmpty(logging.format) ?? "text"
        c.logging.flushFrequency = nonZero(logging.flushFrequency) ?? GoDuration(.seconds(5))
        c.logging.verbosity = logging.verbosity ?? 0

        c.hostnameOverride = hostnameOverride ?? ""
        let bind = nonEmpty(bindAddress) ?? "0.0.0.0"
        c.bindAddress = bind
        let ipv6 = IPAddress(bind)?.family == .ipv6
        c.healthzBindAddress = Self.withPort(healthzBindAddress, defaultHost: ipv6 ? "[::]" : "0.0.0.0", port: 10256)
        c.metricsBindAddress = Self.withPort(metricsBindAddress, defaultHost: ipv6 ? "[::1]" : "127.0.0.1", port: 10249)
        c.bindAddressHardFail = bindAddressHardFail ?? false
        c.enableProfiling = enableProfiling ?? false
        c.showHiddenMetricsForVersion = showHiddenMetricsForVersion ?? ""

        let effectiveMode = nonEmpty(mode) ?? Self.defaultMode
        c.mode = effectiveMode

        c.iptables.masqueradeBit = iptables.masqueradeBit ?? 14
        c.iptables.masqueradeAll = iptables.masqueradeAll ?? false
        c.iptables.localhostNodePorts = iptables.localhostNodePorts ?? true
        c.iptables.snatNodeInternalIP = iptables.snatNodeInternalIP ?? false
        c.iptables.syncPeriod = nonZero(iptables.syncPeriod) ?? GoDuration(.seconds(30))
        c.iptables.minSyncPeriod = nonZero(iptables.minSyncPeriod) ?? GoDuration(.seconds(1))

        c.ipvs.syncPeriod = nonZero(ipvs.syncPeriod) ?? GoDuration(.seconds(30))
        c.ipvs.minSyncPeriod = ipvs.minSyncPeriod ?? GoDuration(.zero)
        c.ipvs.scheduler = nonEmpty(ipvs.scheduler) ?? "rr"
        c.ipvs.excludeCIDRs = ipvs.excludeCIDRs ?? []
        c.ipvs.strictARP = ipvs.strictARP ?? false
        c.ipvs.tcpTimeout = ipvs.tcpTimeout ?? GoDuration(.zero)
        c.ipvs.tcpFinTimeout = ipvs.tcpFinTimeout ?? GoDuration(.zero)
        c.ipvs.udpTimeout = ipvs.udpTimeout ?? GoDuration(.zero)

        c.nftables.masqueradeBit = nftables.masqueradeBit ?? 14
        c.nftables.masqueradeAll = nftables.masqueradeAll ?? false
        c.nftables.syncPeriod = nonZero(nftables.syncPeriod) ?? GoDuration(.seconds(30))
        c.nftables.minSyncPeriod = nonZero(nftables.minSyncPeriod) ?? GoDuration(.seconds(1))

        c.winkernel.networkName = winkernel.networkName ?? ""
        c.winkernel.sourceVip = winkernel.sourceVip ?? ""
        c.winkernel.enableDSR = winkernel.enableDSR ?? false
        c.winkernel.rootHnsEndpointName = winkernel.rootHnsEndpointName ?? ""
        c.winkernel.forwardHealthCheckVip = winkernel.forwardHealthCheckVip ?? false

        c.detectLocalMode = nonEmpty(detectLocalMode) ?? "ClusterCIDR"
        c.detectLocal.bridgeInterface = detectLocal.bridgeInterface ?? ""
        c.detectLocal.interfaceNamePrefix = detectLocal.interfaceNamePrefix ?? ""
        c.clusterCIDR = clusterCIDR ?? ""
        // kube-proxy: nftables mode serves NodePorts on the node's primary IPs, the others on every local address.
        c.nodePortAddresses = nodePortAddresses.flatMap { $0.isEmpty ? nil : $0 }
            ?? (effectiveMode.lowercased() == "nftables" ? ["primary"] : [])
        c.oomScoreAdj = oomScoreAdj ?? -999

        c.conntrack.maxPerCore = conntrack.maxPerCore ?? 32768
        c.conntrack.min = conntrack.min ?? 131072
        c.conntrack.tcpEstablishedTimeout = conntrack.tcpEstablishedTimeout ?? GoDuration(.seconds(86400))
        c.conntrack.tcpCloseWaitTimeout = conntrack.tcpCloseWaitTimeout ?? GoDuration(.seconds(3600))
        c.conntrack.tcpBeLiberal = conntrack.tcpBeLiberal ?? false
        c.conntrack.udpTimeout = conntrack.udpTimeout ?? GoDuration(.zero)
        c.conntrack.udpStreamTimeout = conntrack.udpStreamTimeout ?? GoDuration(.zero)

        c.configSyncPeriod = nonZero(configSyncPeriod) ?? GoDuration(.seconds(900))
        c.portRange = portRange ?? ""
        c.windowsRunAsService = windowsRunAsService ?? false
        c.serviceProxyName = nonEmpty(serviceProxyName)
        return c
    }

    /// kube-proxy's `AppendPortIfNeeded`: an address without a port gets the default one; empty gets the default
    /// address.
    public static func withPort(_ address: String?, defaultHost: String, port: Int) -> String {
        guard let address = nonEmpty(address) else { return "\(defaultHost):\(port)" }
        if let ip = IPAddress(address) {
            return ip.family == .ipv6 ? "[\(address)]:\(port)" : "\(address):\(port)"
        }
        if address.hasPrefix("["), address.hasSuffix("]") { return "\(address):\(port)" }
        return address
    }
}

private func nonEmpty(_ text: String?) -> String? {
    guard let text, !text.isEmpty else { return nil }
    return text
}

private func nonZero<T: Numeric>(_ value: T?) -> T? {
    guard let value, value != .zero else { return nil }
    return value
}

private func nonZero(_ value: GoDuration?) -> GoDuration? {
    guard let value, value.duration != .zero else { return nil }
    return value
}
