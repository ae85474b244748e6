/// Node tuning for connection tracking, as kube-proxy does it (`conntrack` in KubeProxyConfiguration,
/// `--conntrack-*` flags). A value: flags and the config file produce it, `NodeTuningApplier` writes it.
///
/// `nil` leaves the kernel's value alone (kube-proxy's 0 means the same).
public struct ConntrackTuning: Sendable, Equatable {
    /// `nf_conntrack_max = max(maxPerCore × CPUs, min)`; hashsize = max / 4. kube-proxy: 32768.
    public var maxPerCore: Int?
    /// Lower bound for nf_conntrack_max. kube-proxy: 131072.
    public var min: Int?
    /// `nf_conntrack_tcp_timeout_established`. kube-proxy: 24h.
    public var tcpEstablishedTimeout: Duration?
    /// `nf_conntrack_tcp_timeout_close_wait`. kube-proxy: 1h.
    public var tcpCloseWaitTimeout: Duration?
    /// `nf_conntrack_tcp_be_liberal = 1` when true. kube-proxy: false.
    public var tcpBeLiberal: Bool
    /// `nf_conntrack_udp_timeout`. kube-proxy: unset.
    public var udpTimeout: Duration?
    /// `nf_conntrack_udp_timeout_stream`. kube-proxy: unset.
    public var udpStreamTimeout: Duration?

    public init(
        maxPerCore: Int? = 32768, min: Int? = 131072, tcpEstablishedTimeout: Duration? = .seconds(86400),
        tcpCloseWaitTimeout: Duration? = .seconds(3600), tcpBeLiberal: Bool = false, udpTimeout: Duration? = nil,
        udpStreamTimeout: Duration? = nil
    ) {
        self.maxPerCore = maxPerCore
        self.min = min
        self.tcpEstablishedTimeout = tcpEstablishedTimeout
        self.tcpCloseWaitTimeout = tcpCloseWaitTimeout
        self.tcpBeLiberal = tcpBeLiberal
        self.udpTimeout = udpTimeout
        self.udpStreamTimeout = udpStreamTimeout
    }

    /// kube-proxy's defaults.
    public static let kubeProxyDefaults = ConntrackTuning()
}
