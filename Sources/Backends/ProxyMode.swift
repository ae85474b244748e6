/// Which backend programs the kernel (`--proxy-mode`, `mode` in the configuration file): the name kube-proxy gives
/// each mode, as `/proxyMode` reports it.
public enum ProxyMode: String, CaseIterable, Sendable, Hashable, CustomStringConvertible {
    case nftables
    case iptables
    case ipvs

    public var description: String { rawValue }

    /// The mode's backend: how it is built, what it needs, prints and removes.
    public var kind: any BackendKind.Type {
        switch self {
        case .nftables: NftablesKind.self
        case .iptables: IptablesKind.self
        case .ipvs: IPVSKind.self
        }
    }
}
