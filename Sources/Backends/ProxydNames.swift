/// The names of everything proxyd installs on a node, in any mode — the one place they are settled, so that
/// `--cleanup` removes exactly what the backends create and nothing else.
///
/// - Important: A backend must name every kernel object it creates with these (or inside the nftables table);
///   cleanup identifies proxyd's objects by these names alone.
public enum ProxydNames {
    /// nftables mode: the table proxyd owns in families `ip` and `ip6`.
    public static let nftablesTable = "proxyd"

    /// iptables and IPVS modes: every chain proxyd creates starts with this (like kube-proxy's `KUBE-`), in the
    /// tables `iptablesTables`; the only other rules proxyd adds are jumps to those chains from built-in chains.
    public static let iptablesChainPrefix = "PROXYD-"
    /// The tables proxyd's iptables chains live in.
    public static let iptablesTables = ["nat", "filter"]

    /// IPVS mode: the dummy interface every virtual address is bound to (kube-proxy's `kube-ipvs0`).
    ///
    /// proxyd's IPVS virtual servers are exactly those whose address is assigned to this interface: the IPVS
    /// backend binds each address here before it creates virtual servers on it, and cleanup deletes the virtual
    /// servers of the interface's addresses before the interface. (IPVS has no owner field to go by.)
    public static let ipvsInterface = "proxyd-ipvs0"

    /// IPVS mode: every ipset proxyd creates starts with this (kube-proxy's are `KUBE-…`).
    public static let ipsetPrefix = "PROXYD-"

    /// Whether an iptables chain is proxyd's.
    public static func isProxydChain(_ name: some StringProtocol) -> Bool { name.hasPrefix(iptablesChainPrefix) }

    /// Whether an ipset is proxyd's.
    public static func isProxydSet(_ name: some StringProtocol) -> Bool { name.hasPrefix(ipsetPrefix) }
}
