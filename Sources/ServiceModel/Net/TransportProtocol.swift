/// A Service port's protocol, as Kubernetes spells it. nftables calls the same thing `meta l4proto`.
public enum TransportProtocol: String, Sendable, Hashable, Comparable, CaseIterable, Codable, CustomStringConvertible {
    case tcp = "TCP"
    case udp = "UDP"
    case sctp = "SCTP"

    public var description: String { rawValue }

    /// The lower-case name netfilter tools use (`tcp`, `udp`, `sctp`).
    public var netfilterName: String { rawValue.lowercased() }

    public static func < (lhs: TransportProtocol, rhs: TransportProtocol) -> Bool {
        lhs.sortIndex < rhs.sortIndex
    }

    private var sortIndex: Int {
        switch self {
        case .tcp: 0
        case .udp: 1
        case .sctp: 2
        }
    }
}
