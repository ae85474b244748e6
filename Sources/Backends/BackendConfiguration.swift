import ServiceModel

/// What the configuration says about the backend, for every mode: each mode's kind reads the part it needs when it
/// builds its backend, declares its node requirements or prints its plan.
public struct BackendConfiguration: Sendable, Hashable {
    public var mode: ProxyMode
    /// The packet-mark bit that flags traffic to masquerade (iptables and IPVS modes; nftables uses 14 only).
    public var masqueradeBit: Int
    /// `iptables.localhostNodePorts`: IPv4 NodePorts also on 127.0.0.1 (iptables mode).
    public var localhostNodePorts: Bool
    /// The iptables that programs the iptables mode; nil until settled from the node (`--iptables-flavour=auto`).
    public var iptablesFlavour: IptablesFlavour?
    /// `conntrack.tcpBeLiberal` (and, once settled, the node's `nf_conntrack_tcp_be_liberal`): forwarded INVALID
    /// packets are then not dropped (iptables mode, as kube-proxy decides it).
    public var conntrackTCPBeLiberal: Bool
    /// The `ipvs` section: scheduler, excluded CIDRs, strict ARP, timeouts.
    public var ipvs: IPVSSettings
    /// `--nodeport-addresses`, for what depends on it outside the model (localhost NodePorts and `route_localnet`).
    public var nodePortAddresses: [NodePortAddressSelector]
    /// The network namespace the drivers work in (`/run/netns/NAME`; tests and benchmarks); nil: this process's.
    public var networkNamespace: String?

    public init(
        mode: ProxyMode, masqueradeBit: Int = 14, localhostNodePorts: Bool = true, iptablesFlavour: IptablesFlavour? = nil,
        conntrackTCPBeLiberal: Bool = false, ipvs: IPVSSettings = IPVSSettings(), nodePortAddresses: [NodePortAddressSelector] = [],
        networkNamespace: String? = nil
    ) {
        self.mode = mode
        self.masqueradeBit = masqueradeBit
        self.localhostNodePorts = localhostNodePorts
        self.iptablesFlavour = iptablesFlavour
        self.conntrackTCPBeLiberal = conntrackTCPBeLiberal
        self.ipvs = ipvs
        self.nodePortAddresses = nodePortAddresses
        self.networkNamespace = networkNamespace
    }
}
