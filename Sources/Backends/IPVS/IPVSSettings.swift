import ServiceModel

/// How proxyd programs IPVS (KubeProxyConfiguration's `ipvs` section, `--ipvs-*` flags), validated.
public struct IPVSSettings: Sendable, Hashable {
    /// The scheduler of every virtual server (`--ipvs-scheduler`, default rr).
    public var scheduler: IPVSScheduler
    /// Virtual servers on these addresses are someone else's: proxyd never deletes them (`--ipvs-exclude-cidrs`).
    public var excludeCIDRs: [CIDR]
    /// Answer ARP only for addresses of the receiving interface (`--ipvs-strict-arp`): `arp_ignore=1`,
    /// `arp_announce=2`, so the Service addresses on proxyd's dummy interface are not announced on the network.
    public var strictARP: Bool
    /// IPVS's connection timeouts (`--ipvs-tcp-timeout`, `--ipvs-tcpfin-timeout`, `--ipvs-udp-timeout`, as
    /// `ipvsadm --set` sets them); nil leaves the kernel's.
    public var tcpTimeout: Duration?
    public var tcpFinTimeout: Duration?
    public var udpTimeout: Duration?

    public init(
        scheduler: IPVSScheduler = .roundRobin, excludeCIDRs: [CIDR] = [], strictARP: Bool = false, tcpTimeout: Duration? = nil,
        tcpFinTimeout: Duration? = nil, udpTimeout: Duration? = nil
    ) {
        self.scheduler = scheduler
        self.excludeCIDRs = excludeCIDRs
        self.strictARP = strictARP
        self.tcpTimeout = tcpTimeout
        self.tcpFinTimeout = tcpFinTimeout
        self.udpTimeout = udpTimeout
    }

    /// Validates the settings as an operator wrote them. An empty scheduler means the default (rr), as in
    /// kube-proxy; surrounding whitespace is ignored.
    public init(scheduler: String, excludeCIDRs: [String], strictARP: Bool) throws(IPVSSettingsError) {
        self.scheduler = scheduler.trimmingWhitespace().isEmpty ? .roundRobin : try IPVSScheduler(validating: scheduler)
        var cidrs: [CIDR] = []
        for (index, text) in excludeCIDRs.enumerated() {
            guard let cidr = CIDR(text.trimmingWhitespace()) else {
                throw IPVSSettingsError(field: "excludeCIDRs[\(index)]", value: text, problem: "is not a CIDR (such as 10.0.0.0/8 or fd00::/64)")
            }
            cidrs.append(cidr)
        }
        self.excludeCIDRs = cidrs
        self.strictARP = strictARP
    }

    /// Whether a virtual server on `address` is protected by `excludeCIDRs`.
    public func isExcluded(_ address: IPAddress) -> Bool {
        excludeCIDRs.contains { $0.contains(address) }
    }
}
