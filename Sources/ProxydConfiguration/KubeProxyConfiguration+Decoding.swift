import Yams

extension KubeProxyConfiguration {
    /// Decodes the document's root node strictly: `apiVersion` and `kind` must be kube-proxy's, every field must
    /// have its type, and an unknown field anywhere is an error naming its path.
    public init(decoding root: Yams.Node, file: String) throws(ConfigurationError) {
        var document = try ConfigurationMapping(root, path: "", file: file)
        let apiVersion = try document.string("apiVersion")
        let kind = try document.string("kind")
        guard kind == Self.kind else {
            throw ConfigurationError(
                file: file, line: root.mark?.line, field: "kind",
                kind.map { "\"\($0)\" is not \(Self.kind)" } ?? "missing; this file must be a \(Self.kind)")
        }
        guard apiVersion == Self.apiVersion else {
            throw ConfigurationError(
                file: file, line: root.mark?.line, field: "apiVersion",
                (apiVersion.map { "\"\($0)\" is not supported" } ?? "missing") + "; use \(Self.apiVersion)")
        }
        self.init()
        featureGates = try document.booleans("featureGates")
        if var section = try document.mapping("clientConnection") {
            clientConnection.kubeconfig = try section.string("kubeconfig")
            clientConnection.acceptContentTypes = try section.string("acceptContentTypes")
            clientConnection.contentType = try section.string("contentType")
            clientConnection.qps = try section.double("qps")
            clientConnection.burst = try section.int("burst")
            try section.finish()
        }
        if var section = try document.mapping("logging") {
            logging.format = try section.string("format")
            logging.flushFrequency = try Self.flushFrequency(&section)
            logging.verbosity = try section.int("verbosity")
            section.accept("vmodule")
            section.accept("options")
            try section.finish()
        }
        hostnameOverride = try document.string("hostnameOverride")
        bindAddress = try document.string("bindAddress")
        healthzBindAddress = try document.string("healthzBindAddress")
        metricsBindAddress = try document.string("metricsBindAddress")
        bindAddressHardFail = try document.bool("bindAddressHardFail")
        enableProfiling = try document.bool("enableProfiling")
        showHiddenMetricsForVersion = try document.string("showHiddenMetricsForVersion")
        mode = try document.string("mode")
        if var section = try document.mapping("iptables") {
            iptables.masqueradeBit = try section.int("masqueradeBit")
            iptables.masqueradeAll = try section.bool("masqueradeAll")
            iptables.localhostNodePorts = try section.bool("localhostNodePorts")
            iptables.snatNodeInternalIP = try section.bool("snatNodeInternalIP")
            iptables.syncPeriod = try section.duration("syncPeriod")
            iptables.minSyncPeriod = try section.duration("minSyncPeriod")
            try section.finish()
        }
        if var section = try document.mapping("ipvs") {
            ipvs.syncPeriod = try section.duration("syncPeriod")
            ipvs.minSyncPeriod = try section.duration("minSyncPeriod")
            ipvs.scheduler = try section.string("scheduler")
            ipvs.excludeCIDRs = try section.strings("excludeCIDRs")
            ipvs.strictARP = try section.bool("strictARP")
            ipvs.tcpTimeout = try section.duration("tcpTimeout")
            ipvs.tcpFinTimeout = try section.duration("tcpFinTimeout")
            ipvs.udpTimeout = try section.duration("udpTimeout")
            try section.finish()
        }
        if var section = try document.mapping("nftables") {
            nftables.masqueradeBit = try section.int("masqueradeBit")
            nftables.masqueradeAll = try section.bool("masqueradeAll")
            nftables.syncPeriod = try section.duration("syncPeriod")
            nftables.minSyncPeriod = try section.duration("minSyncPeriod")
            try section.finish()
        }
        if var section = try document.mapping("winkernel") {
            winkernel.networkName = try section.string("networkName")
            winkernel.sourceVip = try section.string("sourceVip")
            winkernel.enableDSR = try section.bool("enableDSR")
            winkernel.rootHnsEndpointName = try section.string("rootHnsEndpointName")
            winkernel.forwardHealthCheckVip = try section.bool("forwardHealthCheckVip")
            try section.finish()
        }
        detectLocalMode = try document.string("detectLocalMode")
        if var section = try document.mapping("detectLocal") {
            detectLocal.bridgeInterface = try section.string("bridgeInterface")
            detectLocal.interfaceNamePrefix = try section.string("interfaceNamePrefix")
            try section.finish()
        }
        clusterCIDR = try document.string("clusterCIDR")
        nodePortAddresses = try document.strings("nodePortAddresses")
        oomScoreAdj = try document.int("oomScoreAdj")
        if var section = try document.mapping("conntrack") {
            conntrack.maxPerCore = try section.int("maxPerCore")
            conntrack.min = try section.int("min")
            conntrack.tcpEstablishedTimeout = try section.duration("tcpEstablishedTimeout")
            conntrack.tcpCloseWaitTimeout = try section.duration("tcpCloseWaitTimeout")
            conntrack.tcpBeLiberal = try section.bool("tcpBeLiberal")
            conntrack.udpTimeout = try section.duration("udpTimeout")
            conntrack.udpStreamTimeout = try section.duration("udpStreamTimeout")
            try section.finish()
        }
        configSyncPeriod = try document.duration("configSyncPeriod")
        portRange = try document.string("portRange")
        windowsRunAsService = try document.bool("windowsRunAsService")
        serviceProxyName = try document.string("serviceProxyName")
        try document.finish()
    }

    /// `logging.flushFrequency` is a duration string or an integer of nanoseconds (component-base's
    /// TimeOrMetaDuration).
    private static func flushFrequency(_ section: inout ConfigurationMapping) throws(ConfigurationError) -> GoDuration? {
        guard let node = section.node("flushFrequency") else { return nil }
        if ConfigurationMapping.tag(of: node) == .int, let nanoseconds = node.int {
            return GoDuration(.nanoseconds(nanoseconds))
        }
        return try section.duration("flushFrequency")
    }
}
