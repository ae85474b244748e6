import ServiceModel
import Yams

extension KubeProxyConfiguration {
    /// proxyd's mode when none is given. (kube-proxy's is iptables; proxyd's flagship backend is nftables.)
    public static let defaultMode = "nftables"

    /// Every field of the file, once: key, key path, kube-proxy's default and how it is read and written, in the
    /// order `--write-config-to` writes them (kube-proxy's). The decoder, ``withDefaults()`` and ``yaml()`` walk
    /// this table; a new field is one line here and one property in the struct.
    static var fields: [ConfigurationField] {
        func seconds(_ seconds: Int64) -> GoDuration { GoDuration(.seconds(seconds)) }
        return [
            .field("bindAddress", \.bindAddress, .whenNilOrZero("0.0.0.0"), flag: "--bind-address"),
            .field("bindAddressHardFail", \.bindAddressHardFail, .whenNil(false)),
            .section("clientConnection", [
                .field("acceptContentTypes", \.clientConnection.acceptContentTypes, .whenNil("")),
                .field("burst", \.clientConnection.burst, .whenNilOrZero(10), flag: "--kube-api-burst"),
                .field("contentType", \.clientConnection.contentType, .whenNilOrZero("application/json")),
                .field("kubeconfig", \.clientConnection.kubeconfig, .whenNil(""), flag: "--kubeconfig"),
                .field("qps", \.clientConnection.qps, .whenNilOrZero(5), flag: "--kube-api-qps"),
            ]),
            .field("clusterCIDR", \.clusterCIDR, .whenNil(""), flag: "--cluster-cidr"),
            .field("configSyncPeriod", \.configSyncPeriod, .whenNilOrZero(seconds(900))),
            .section("conntrack", [
                .field("maxPerCore", \.conntrack.maxPerCore, .whenNil(32768), flag: "--conntrack-max-per-core"),
                .field("min", \.conntrack.min, .whenNil(131072), flag: "--conntrack-min"),
                .field("tcpBeLiberal", \.conntrack.tcpBeLiberal, .whenNil(false), flag: "--conntrack-tcp-be-liberal"),
                .field(
                    "tcpCloseWaitTimeout", \.conntrack.tcpCloseWaitTimeout, .whenNil(seconds(3600)),
                    whenNil: .null, flag: "--conntrack-tcp-timeout-close-wait"),
                .field(
                    "tcpEstablishedTimeout", \.conntrack.tcpEstablishedTimeout, .whenNil(seconds(86400)),
                    whenNil: .null, flag: "--conntrack-tcp-timeout-established"),
                .field("udpStreamTimeout", \.conntrack.udpStreamTimeout, .whenNil(seconds(0)), flag: "--conntrack-udp-timeout-stream"),
                .field("udpTimeout", \.conntrack.udpTimeout, .whenNil(seconds(0)), flag: "--conntrack-udp-timeout"),
            ]),
            .section("detectLocal", [
                .field("bridgeInterface", \.detectLocal.bridgeInterface, .whenNil(""), flag: "--pod-bridge-interface"),
                .field("interfaceNamePrefix", \.detectLocal.interfaceNamePrefix, .whenNil(""), flag: "--pod-interface-name-prefix"),
            ]),
            .field("detectLocalMode", \.detectLocalMode, .whenNilOrZero("ClusterCIDR"), flag: "--detect-local-mode"),
            .field("enableProfiling", \.enableProfiling, .whenNil(false)),
            .field("featureGates", \.featureGates, .whenNil([:])),
            // kube-proxy's AppendPortIfNeeded, on the IPv6 wildcard or loopback when bindAddress is IPv6.
            .field("healthzBindAddress", \.healthzBindAddress, .computed { address, given in
                withPort(address, defaultHost: given.bindsIPv6 ? "[::]" : "0.0.0.0", port: 10256)
            }, flag: "--healthz-bind-address"),
            .field("hostnameOverride", \.hostnameOverride, .whenNil(""), flag: "--hostname-override"),
            .section("iptables", [
                .field("localhostNodePorts", \.iptables.localhostNodePorts, .whenNil(true), flag: "--iptables-localhost-nodeports"),
                .field("masqueradeAll", \.iptables.masqueradeAll, .whenNil(false), flag: "--masquerade-all"),
                .field("masqueradeBit", \.iptables.masqueradeBit, .whenNil(14), flag: "--iptables-masquerade-bit"),
                .field("minSyncPeriod", \.iptables.minSyncPeriod, .whenNilOrZero(seconds(1)), flag: "--iptables-min-sync-period"),
                .field("snatNodeInternalIP", \.iptables.snatNodeInternalIP, .whenNil(false)),
                .field("syncPeriod", \.iptables.syncPeriod, .whenNilOrZero(seconds(30)), flag: "--iptables-sync-period"),
            ]),
            .section("ipvs", [
                .field("excludeCIDRs", \.ipvs.excludeCIDRs, .whenNil([]), flag: "--ipvs-exclude-cidrs"),
                .field("minSyncPeriod", \.ipvs.minSyncPeriod, .whenNil(seconds(0)), flag: "--ipvs-min-sync-period"),
                .field("scheduler", \.ipvs.scheduler, .whenNilOrZero("rr"), flag: "--ipvs-scheduler"),
                .field("strictARP", \.ipvs.strictARP, .whenNil(false), flag: "--ipvs-strict-arp"),
                .field("syncPeriod", \.ipvs.syncPeriod, .whenNilOrZero(seconds(30)), flag: "--ipvs-sync-period"),
                .field("tcpFinTimeout", \.ipvs.tcpFinTimeout, .whenNil(seconds(0)), flag: "--ipvs-tcpfin-timeout"),
                .field("tcpTimeout", \.ipvs.tcpTimeout, .whenNil(seconds(0)), flag: "--ipvs-tcp-timeout"),
                .field("udpTimeout", \.ipvs.udpTimeout, .whenNil(seconds(0)), flag: "--ipvs-udp-timeout"),
            ]),
            .section("logging", accepting: ["vmodule", "options"], [
                .field(
                    "flushFrequency", \.logging.flushFrequency, .whenNilOrZero(seconds(5)),
                    read: readFlushFrequency),
                .field("format", \.logging.format, .whenNilOrZero("text")),
                .field("verbosity", \.logging.verbosity, .whenNil(0), flag: "--v"),
            ]),
            .field("metricsBindAddress", \.metricsBindAddress, .computed { address, given in
                withPort(address, defaultHost: given.bindsIPv6 ? "[::1]" : "127.0.0.1", port: 10249)
            }, flag: "--metrics-bind-address"),
            .field("mode", \.mode, .whenNilOrZero(defaultMode), flag: "--proxy-mode"),
            .section("nftables", [
                .field("masqueradeAll", \.nftables.masqueradeAll, .whenNil(false), flag: "--masquerade-all"),
                .field("masqueradeBit", \.nftables.masqueradeBit, .whenNil(14)),
                .field("minSyncPeriod", \.nftables.minSyncPeriod, .whenNilOrZero(seconds(1)), flag: "--iptables-min-sync-period"),
                .field("syncPeriod", \.nftables.syncPeriod, .whenNilOrZero(seconds(30)), flag: "--iptables-sync-period"),
            ]),
            // kube-proxy: nftables mode serves NodePorts on the node's primary IPs, the others on every local address.
            .field("nodePortAddresses", \.nodePortAddresses, .computed { addresses, given in
                if let addresses, !addresses.isEmpty { return addresses }
                let mode = given.mode.flatMap { $0.isEmpty ? nil : $0 } ?? defaultMode
                return mode.lowercased() == "nftables" ? ["primary"] : []
            }, flag: "--nodeport-addresses"),
            .field("oomScoreAdj", \.oomScoreAdj, .whenNil(-999)),
            .field("portRange", \.portRange, .whenNil("")),
            // proxyd's own field: no default, not written when not given.
            .field(
                "serviceProxyName", \.serviceProxyName, .computed { name, _ in name?.isEmpty == false ? name : nil },
                whenNil: .omitted, flag: "--service-proxy-name"),
            .field("showHiddenMetricsForVersion", \.showHiddenMetricsForVersion, .whenNil("")),
            .section("winkernel", [
                .field("enableDSR", \.winkernel.enableDSR, .whenNil(false)),
                .field("forwardHealthCheckVip", \.winkernel.forwardHealthCheckVip, .whenNil(false)),
                .field("networkName", \.winkernel.networkName, .whenNil("")),
                .field("rootHnsEndpointName", \.winkernel.rootHnsEndpointName, .whenNil("")),
                .field("sourceVip", \.winkernel.sourceVip, .whenNil("")),
            ]),
            .field("windowsRunAsService", \.windowsRunAsService, .whenNil(false)),
        ]
    }

    /// `bindAddress` is an IPv6 address: the default health and metrics addresses are IPv6 too.
    private var bindsIPv6: Bool { IPAddress(bindAddress ?? "")?.family == .ipv6 }

    /// `logging.flushFrequency` is a duration string or an integer of nanoseconds (component-base's
    /// TimeOrMetaDuration).
    private static func readFlushFrequency(
        _ key: String, from section: inout ConfigurationMapping
    ) throws(ConfigurationError) -> GoDuration? {
        guard let node = section.node(key) else { return nil }
        if ConfigurationMapping.tag(of: node) == .int, let nanoseconds = node.int {
            return GoDuration(.nanoseconds(nanoseconds))
        }
        return try section.duration(key)
    }
}
