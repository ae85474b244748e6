import Backends
import ServiceModel

extension ResolvedOptions {
    /// The values proxyd runs with, from an effective configuration (``KubeProxyConfiguration/withDefaults()``),
    /// every field checked. Errors name what the operator wrote (`origin`): the flag, or the file's line and field.
    ///
    /// The run flags (`--objects`, `--once`, `--dry-run`, `--cleanup`, `--output`, `--init-only`) are left at
    /// their defaults for the caller to set.
    ///
    /// - Parameter hostName: this machine's name, used when `hostnameOverride` is empty.
    public init(effective c: KubeProxyConfiguration, origin: ConfigurationOrigin, hostName: () -> String) throws {
        func name(_ path: String) -> String { origin.name(path) }
        func fail(_ path: String, _ message: String) -> any Error { origin.error(path, message) }

        let modeText = c.mode ?? KubeProxyConfiguration.defaultMode
        guard let mode = ProxyMode(rawValue: modeText.lowercased()) else {
            throw fail("mode", "\(name("mode")) \"\(modeText)\" is not a proxy mode; use nftables, iptables or ipvs")
        }
        // kube-proxy reads sync periods from the selected mode's section, and masqueradeAll from nftables' in
        // nftables mode and from iptables' otherwise (ipvs included).
        let periods = mode == .nftables ? "nftables" : mode == .ipvs ? "ipvs" : "iptables"
        let masquerade = mode == .nftables ? "nftables" : "iptables"

        let clusterCIDRs = try Self.parseCIDRs(c.clusterCIDR ?? "", field: "clusterCIDR", origin: origin)
        if Dictionary(grouping: clusterCIDRs, by: \.family).values.contains(where: { $0.count > 1 }) {
            throw fail(
                "clusterCIDR",
                "\(name("clusterCIDR")) takes at most one prefix per IP family, e.g. 10.244.0.0/16,fd00:10:244::/56")
        }
        let detectLocal = try Self.detectLocal(c, origin: origin)
        let nodePortAddresses = try (c.nodePortAddresses ?? []).map { item in
            let text = item.trimmingWhitespace
            if text.lowercased() == "primary" { return NodePortAddressSelector.primary }
            guard let cidr = CIDR(text) else {
                throw fail(
                    "nodePortAddresses",
                    "\(name("nodePortAddresses")) \"\(text)\" is not a CIDR or 'primary'; write e.g. 192.168.0.0/16,primary")
            }
            return NodePortAddressSelector.cidr(cidr)
        }
        let nodeName = (c.hostnameOverride?.trimmingWhitespace).flatMap { $0.isEmpty ? nil : $0.lowercased() } ?? hostName()
        let masqueradeAll = (masquerade == "nftables" ? c.nftables.masqueradeAll : c.iptables.masqueradeAll) ?? false
        let serviceProxyName = c.serviceProxyName.flatMap { $0.isEmpty ? nil : $0 }

        for (path, bit) in [("iptables.masqueradeBit", c.iptables.masqueradeBit), ("nftables.masqueradeBit", c.nftables.masqueradeBit)] {
            if let bit, !(0...31).contains(bit) {
                throw fail(path, "\(name(path)) \(bit) is out of range; use a bit from 0 to 31 (kube-proxy's default is 14)")
            }
        }
        let masqueradeBit = (mode == .nftables ? c.nftables.masqueradeBit : c.iptables.masqueradeBit) ?? 14
        if mode == .nftables, masqueradeBit != 14 {
            // The nftables backend's rules are built around mark 0x4000; marking with another bit silently
            // would clash with whatever the operator moved bit 14 away from.
            throw fail(
                "nftables.masqueradeBit",
                "\(name("nftables.masqueradeBit")) \(masqueradeBit): proxyd's nftables backend marks packets with bit 14 (0x4000) only; remove the field or set it to 14")
        }

        let daemon = try Self.daemonSettings(c, periods: periods, origin: origin)
        let conntrack = try Self.conntrackTuning(c.conntrack, origin: origin)

        let qps = c.clientConnection.qps ?? 5
        // The rate limiter waits 1/qps seconds per request: a tiny qps (1e-300) overflowed that wait and trapped.
        // Below one request per 100 s proxyd could not follow a cluster anyway.
        guard qps == 0 || qps >= Self.minimumQPS else {
            throw fail(
                "clientConnection.qps",
                "\(name("clientConnection.qps")) \(qps) is out of range; use 0 (the default, 5) or at least \(Self.minimumQPS)")
        }
        let burst = c.clientConnection.burst ?? 10
        guard burst >= 0 else {
            throw fail("clientConnection.burst", "\(name("clientConnection.burst")) \(burst) must not be negative")
        }
        var clientConnection = ClientConnectionSettings()
        clientConnection.kubeconfig = c.clientConnection.kubeconfig.flatMap { $0.isEmpty ? nil : $0 }
        clientConnection.qps = qps
        clientConnection.burst = burst

        let verbosity = c.logging.verbosity ?? 0
        guard (0...10).contains(verbosity) else {
            throw fail("logging.verbosity", "\(name("logging.verbosity")) \(verbosity) is out of range; use 0 to 10")
        }
        if let bind = c.bindAddress, !bind.isEmpty, IPAddress(bind) == nil {
            throw fail("bindAddress", "\(name("bindAddress")) \"\(bind)\" is not an IP address; write e.g. 0.0.0.0")
        }
        if let score = c.oomScoreAdj, !(-1000...1000).contains(score) {
            throw fail("oomScoreAdj", "\(name("oomScoreAdj")) \(score) is out of range; use -1000 to 1000")
        }
        var ipvs = IPVSSettings()
        if mode == .ipvs {
            try Self.checkIPVS(c.ipvs, origin: origin)
            ipvs = try Self.ipvsSettings(c.ipvs, origin: origin)
        }

        self.init(
            mode: mode,
            configuration: ProxyConfiguration(
                nodeName: nodeName, clusterCIDRs: clusterCIDRs, detectLocal: detectLocal,
                nodePortAddresses: nodePortAddresses, masqueradeAll: masqueradeAll, serviceProxyName: serviceProxyName),
            objectsPath: nil, once: false, dryRun: false, cleanup: false, daemon: daemon,
            output: mode.kind.outputName != nil ? .rules(mode) : .model, verbosity: verbosity)
        self.clientConnection = clientConnection
        self.conntrack = conntrack
        self.masqueradeBit = masqueradeBit
        self.localhostNodePorts = c.iptables.localhostNodePorts ?? true
        self.ipvs = ipvs
        self.effectiveConfiguration = c
    }

    public static func parseCIDRs(_ text: String, field: String, origin: ConfigurationOrigin) throws -> [CIDR] {
        try text.split(separator: ",").map { $0.trimmingWhitespace }.filter { !$0.isEmpty }.map { item in
            guard let cidr = CIDR(item) else {
                throw origin.error(
                    field, "\(origin.name(field)) \"\(item)\" is not a CIDR; write prefixes like 10.244.0.0/16,fd00:10:244::/56")
            }
            return cidr
        }
    }

    private static func detectLocal(_ c: KubeProxyConfiguration, origin: ConfigurationOrigin) throws -> DetectLocalMode {
        let mode = origin.name("detectLocalMode")
        switch (c.detectLocalMode ?? "").lowercased() {
        case "clustercidr", "":
            return .clusterCIDR
        case "nodecidr":
            return .nodeCIDR
        case "bridgeinterface":
            guard let name = c.detectLocal.bridgeInterface, !name.isEmpty else {
                let field = origin.name("detectLocal.bridgeInterface")
                throw origin.error(
                    "detectLocalMode", "\(mode)=BridgeInterface needs \(field), e.g. \(field)=cni0")
            }
            try checkInterfaceName(name, field: "detectLocal.bridgeInterface", isPrefix: false, origin: origin)
            return .bridgeInterface(name)
        case "interfacenameprefix":
            guard let prefix = c.detectLocal.interfaceNamePrefix, !prefix.isEmpty else {
                let field = origin.name("detectLocal.interfaceNamePrefix")
                throw origin.error(
                    "detectLocalMode", "\(mode)=InterfaceNamePrefix needs \(field), e.g. \(field)=veth")
            }
            try checkInterfaceName(prefix, field: "detectLocal.interfaceNamePrefix", isPrefix: true, origin: origin)
            return .interfaceNamePrefix(prefix)
        default:
            throw origin.error(
                "detectLocalMode",
                "\(mode) \"\(c.detectLocalMode ?? "")\" is not a mode; use ClusterCIDR, NodeCIDR, BridgeInterface or InterfaceNamePrefix")
        }
    }

    /// Interface names go into nft rules: anything Linux or nft would not take is an error naming the field.
    private static func checkInterfaceName(_ name: String, field: String, isPrefix: Bool, origin: ConfigurationOrigin) throws {
        guard let problem = NetworkInterfaceName.problem(name, isPrefix: isPrefix) else { return }
        throw origin.error(
            field,
            "\(origin.name(field)) \(KubernetesName.quotedForDisplay(name)) is not a usable interface name\(isPrefix ? " prefix" : ""): \(problem)")
    }

    private static func daemonSettings(
        _ c: KubeProxyConfiguration, periods section: String, origin: ConfigurationOrigin
    ) throws -> DaemonSettings {
        let healthz = c.healthzBindAddress ?? "0.0.0.0:10256"
        guard BindAddressValue(healthz) != nil else {
            throw origin.error(
                "healthzBindAddress",
                "\(origin.name("healthzBindAddress")) \"\(healthz)\" is not HOST:PORT; write e.g. 0.0.0.0:10256 (port 0 turns it off)")
        }
        let metrics = c.metricsBindAddress ?? "127.0.0.1:10249"
        guard BindAddressValue(metrics) != nil else {
            throw origin.error(
                "metricsBindAddress",
                "\(origin.name("metricsBindAddress")) \"\(metrics)\" is not HOST:PORT; write e.g. 127.0.0.1:10249 (port 0 turns it off)")
        }
        let (sync, minSync): (GoDuration?, GoDuration?)
        switch section {
        case "nftables": (sync, minSync) = (c.nftables.syncPeriod, c.nftables.minSyncPeriod)
        case "ipvs": (sync, minSync) = (c.ipvs.syncPeriod, c.ipvs.minSyncPeriod)
        default: (sync, minSync) = (c.iptables.syncPeriod, c.iptables.minSyncPeriod)
        }
        let syncPeriod = sync ?? GoDuration(.seconds(30))
        let minSyncPeriod = minSync ?? GoDuration(.seconds(1))
        let syncName = origin.name("\(section).syncPeriod"), minSyncName = origin.name("\(section).minSyncPeriod")
        guard syncPeriod.duration > .zero else {
            throw origin.error("\(section).syncPeriod", "\(syncName) (\(syncPeriod)) must be positive, e.g. 30s")
        }
        guard minSyncPeriod.duration >= .zero else {
            throw origin.error("\(section).minSyncPeriod", "\(minSyncName) (\(minSyncPeriod)) must not be negative, e.g. 1s")
        }
        guard minSyncPeriod.duration <= syncPeriod.duration else {
            throw origin.error(
                "\(section).minSyncPeriod", "\(minSyncName) (\(minSyncPeriod)) must not exceed \(syncName) (\(syncPeriod))")
        }
        return DaemonSettings(
            healthzBindAddress: healthz, metricsBindAddress: metrics, minSyncPeriod: minSyncPeriod, syncPeriod: syncPeriod)
    }

    /// kube-proxy's meaning: 0 leaves the kernel's value alone (nil here), as does an unset timeout.
    private static func conntrackTuning(_ c: KubeProxyConfiguration.Conntrack, origin: ConfigurationOrigin) throws -> ConntrackTuning {
        func count(_ value: Int?, _ field: String) throws -> Int? {
            guard let value else { return nil }
            guard value >= 0 else {
                throw origin.error("conntrack.\(field)", "\(origin.name("conntrack.\(field)")) \(value) must not be negative (0 leaves the kernel's value)")
            }
            // kube-proxy's fields are int32; larger values would overflow nf_conntrack_max = maxPerCore × CPUs.
            guard value <= Int(Int32.max) else {
                throw origin.error("conntrack.\(field)", "\(origin.name("conntrack.\(field)")) \(value) is out of range; use 0 to \(Int32.max)")
            }
            return value == 0 ? nil : value
        }
        func timeout(_ value: GoDuration?, _ field: String) throws -> Duration? {
            guard let value else { return nil }
            guard value.duration >= .zero else {
                throw origin.error("conntrack.\(field)", "\(origin.name("conntrack.\(field)")) \(value) must not be negative (0s leaves the kernel's value)")
            }
            // The kernel's conntrack timeouts are int sysctls in seconds.
            guard value.duration <= Self.maximumConntrackTimeout.duration else {
                throw origin.error(
                    "conntrack.\(field)",
                    "\(origin.name("conntrack.\(field)")) \(value) is out of range; a conntrack timeout can be at most \(Self.maximumConntrackTimeout)")
            }
            return value.duration == .zero ? nil : value.duration
        }
        return ConntrackTuning(
            maxPerCore: try count(c.maxPerCore, "maxPerCore"), min: try count(c.min, "min"),
            tcpEstablishedTimeout: try timeout(c.tcpEstablishedTimeout, "tcpEstablishedTimeout"),
            tcpCloseWaitTimeout: try timeout(c.tcpCloseWaitTimeout, "tcpCloseWaitTimeout"),
            tcpBeLiberal: c.tcpBeLiberal ?? false,
            udpTimeout: try timeout(c.udpTimeout, "udpTimeout"),
            udpStreamTimeout: try timeout(c.udpStreamTimeout, "udpStreamTimeout"))
    }

    /// The smallest non-zero `clientConnection.qps` (`--kube-api-qps`): one request per 100 s.
    public static let minimumQPS = 0.01
    /// The longest conntrack timeout: the kernel keeps them in seconds in an int.
    public static let maximumConntrackTimeout = GoDuration(.seconds(Int64(Int32.max)))

    /// The longest IPVS connection timeout every kernel takes: `ip_vs_set_timeout` refuses more than INT_MAX / HZ
    /// seconds, 2,147,483 at HZ=1000 (about 24.8 days).
    public static let maximumIPVSTimeout = GoDuration(.seconds(Int64(Int32.max) / 1000))

    /// IPVS schedulers the kernel provides (kube-proxy's list).
    public static let ipvsSchedulers: Set<String> = ["rr", "wrr", "lc", "wlc", "lblc", "lblcr", "sh", "dh", "sed", "nq", "mh"]

    private static func checkIPVS(_ ipvs: KubeProxyConfiguration.IPVS, origin: ConfigurationOrigin) throws {
        if let scheduler = ipvs.scheduler, !scheduler.isEmpty, !ipvsSchedulers.contains(scheduler) {
            throw origin.error(
                "ipvs.scheduler",
                "\(origin.name("ipvs.scheduler")) \"\(scheduler)\" is not an IPVS scheduler; use one of \(ipvsSchedulers.sorted().joined(separator: ", "))")
        }
        for (index, text) in (ipvs.excludeCIDRs ?? []).enumerated() where CIDR(text.trimmingWhitespace) == nil {
            // The file's list by index; the flag's comma-separated items by value.
            let item = if case .flags = origin { origin.name("ipvs.excludeCIDRs") } else { "ipvs.excludeCIDRs[\(index)]" }
            throw origin.error("ipvs.excludeCIDRs", "\(item) \"\(text)\" is not a CIDR; write prefixes like 10.0.0.0/8,fd00::/64")
        }
        for (field, value) in [("tcpTimeout", ipvs.tcpTimeout), ("tcpFinTimeout", ipvs.tcpFinTimeout), ("udpTimeout", ipvs.udpTimeout)] {
            let name = origin.name("ipvs.\(field)")
            if let value, value.duration < .zero {
                throw origin.error("ipvs.\(field)", "\(name) \(value) must not be negative (0s leaves the kernel's value)")
            }
            if let value, value.duration > maximumIPVSTimeout.duration {
                throw origin.error(
                    "ipvs.\(field)", "\(name) \(value) is out of range; an IPVS timeout can be at most \(maximumIPVSTimeout) (the kernel's limit)")
            }
        }
    }

    /// The `ipvs` section as the IPVS backend takes it (checked by ``checkIPVS`` first); timeouts of 0 leave the
    /// kernel's.
    private static func ipvsSettings(_ ipvs: KubeProxyConfiguration.IPVS, origin: ConfigurationOrigin) throws -> IPVSSettings {
        var settings: IPVSSettings
        do throws(IPVSSettingsError) {
            settings = try IPVSSettings(scheduler: ipvs.scheduler ?? "", excludeCIDRs: ipvs.excludeCIDRs ?? [], strictARP: ipvs.strictARP ?? false)
        } catch {
            throw origin.error("ipvs." + error.field.prefix { $0 != "[" }, "\(error)")
        }
        func timeout(_ value: GoDuration?) -> Duration? {
            guard let value, value.duration > .zero else { return nil }
            return value.duration
        }
        settings.tcpTimeout = timeout(ipvs.tcpTimeout)
        settings.tcpFinTimeout = timeout(ipvs.tcpFinTimeout)
        settings.udpTimeout = timeout(ipvs.udpTimeout)
        return settings
    }
}
