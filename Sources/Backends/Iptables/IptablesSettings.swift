import ServiceModel

/// What the iptables backend is configured with, beyond the desired state: kube-proxy's `iptables` section and
/// what it reads off the node at start.
public struct IptablesSettings: Sendable, Hashable {
    /// The packet-mark bit that flags traffic to masquerade (`--iptables-masquerade-bit`, 0…31; default 14).
    public var masqueradeBit: Int
    /// `iptables.localhostNodePorts`: IPv4 NodePorts also answer on 127.0.0.0/8 when NodePorts are served on
    /// every local address (or `--nodeport-addresses` holds a loopback address). Needs `route_localnet=1`.
    public var localhostNodePorts: Bool
    /// `nf_conntrack_tcp_be_liberal` is set: forwarded packets conntrack calls INVALID are not dropped (kube-proxy
    /// drops them otherwise, as they cause spurious resets).
    public var conntrackTCPBeLiberal: Bool
    /// More endpoints than this in a family and per-endpoint rules lose their comments (kube-proxy's "large
    /// cluster mode": 40 % less text for iptables to parse).
    public var largeClusterEndpointThreshold: Int
    /// The iptables that reads the input. With nft, a full input lists the nat table (`-S`) before its
    /// per Service port chains: see `IptablesRenderer.nftChainCacheListing`.
    public var flavour: IptablesFlavour

    public init(
        masqueradeBit: Int = 14, localhostNodePorts: Bool = true, conntrackTCPBeLiberal: Bool = false,
        largeClusterEndpointThreshold: Int = 1000, flavour: IptablesFlavour = .nft
    ) {
        self.masqueradeBit = masqueradeBit
        self.localhostNodePorts = localhostNodePorts
        self.conntrackTCPBeLiberal = conntrackTCPBeLiberal
        self.largeClusterEndpointThreshold = largeClusterEndpointThreshold
        self.flavour = flavour
    }

    /// The mark as iptables writes it (`0x4000` for bit 14).
    var mark: String { "0x" + String(UInt32(1) << UInt32(masqueradeBit & 31), radix: 16) }

    /// Whether `route_localnet` must be 1 for these settings and `--nodeport-addresses` (empty: every local
    /// address), as kube-proxy decides it: localhost NodePorts on, and 127.0.0.1 among the NodePort addresses.
    public static func needsRouteLocalnet(localhostNodePorts: Bool, nodePortAddresses: [NodePortAddressSelector]) -> Bool {
        guard localhostNodePorts else { return false }
        let selectors = nodePortAddresses.filter {
            if case .cidr(let cidr) = $0 { return cidr.family == .ipv4 }
            return true
        }
        if selectors.isEmpty { return true }
        return selectors.contains {
            if case .cidr(let cidr) = $0 { return cidr.contains("127.0.0.1" as IPAddress) }
            return false
        }
    }

    /// Whether IPv4 NodePorts are served on 127.0.0.0/8 for node settings `node` of `family`.
    func servesLocalhostNodePorts(_ family: IPFamily, _ node: DesiredState.NodeSettings) -> Bool {
        guard localhostNodePorts, family == .ipv4 else { return false }
        switch node.nodePortAddresses {
        case .allLocal: return true
        case .addresses(let list): return list.contains { $0.isLoopback }
        }
    }
}
