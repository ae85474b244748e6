import ServiceModel

/// One real server (the kernel's "destination") of a virtual server, with its settings.
///
/// proxyd's real servers are endpoints in masquerade (NAT) mode with weight 1 and no thresholds; a real server
/// being drained has weight 0.
public struct IPVSRealServer: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var address: IPAddress
    public var port: UInt16
    public var forwarding: Forwarding
    public var weight: Int32
    /// Upper connection threshold; 0 for none.
    public var upperThreshold: UInt32
    /// Lower connection threshold; 0 for none.
    public var lowerThreshold: UInt32

    public init(
        address: IPAddress, port: UInt16, forwarding: Forwarding = .masquerade, weight: Int32 = 1, upperThreshold: UInt32 = 0,
        lowerThreshold: UInt32 = 0
    ) {
        self.address = address
        self.port = port
        self.forwarding = forwarding
        self.weight = weight
        self.upperThreshold = upperThreshold
        self.lowerThreshold = lowerThreshold
    }

    /// Which real server of a virtual server: its address and port.
    public struct ID: Sendable, Hashable, Comparable, CustomStringConvertible {
        public var address: IPAddress
        public var port: UInt16

        public init(_ address: IPAddress, _ port: UInt16) {
            self.address = address
            self.port = port
        }

        /// `10.244.0.11:8080`, `[fd00::11]:8080`.
        public var description: String { address.family == .ipv6 ? "[\(address)]:\(port)" : "\(address):\(port)" }

        public static func < (lhs: ID, rhs: ID) -> Bool { (lhs.address, lhs.port) < (rhs.address, rhs.port) }
    }

    public var id: ID { ID(address, port) }

    /// How packets reach the real server (`IP_VS_CONN_F_*` forwarding methods).
    public enum Forwarding: UInt32, Sendable, Hashable, CustomStringConvertible {
        case masquerade = 0
        case local = 1
        case tunnel = 2
        case directRoute = 3
        case bypass = 4

        /// As `ipvsadm -Ln` shows it.
        public var description: String {
            switch self {
            case .masquerade: "Masq"
            case .local: "Local"
            case .tunnel: "Tunnel"
            case .directRoute: "Route"
            case .bypass: "Bypass"
            }
        }
    }

    /// `10.244.0.11:8080 Masq 1`.
    public var description: String { "\(id) \(forwarding) \(weight)" }

    public static func < (lhs: IPVSRealServer, rhs: IPVSRealServer) -> Bool { lhs.id < rhs.id }
}
