import ServiceModel

/// One connection the kernel tracks, as conntrack cleanup needs to see it: the protocol, and the original and
/// reply tuples.
///
/// After DNAT the reply comes *from* the endpoint: `reply.source` is where the connection really went, while
/// `original.destination` is the address the client used (a Service IP or a node address for a NodePort).
public struct ConntrackFlow: Sendable, Hashable, CustomStringConvertible {
    public var family: IPFamily
    /// The IP protocol number (6 TCP, 17 UDP, 132 SCTP, …).
    public var protocolNumber: UInt8
    public var original: Tuple
    public var reply: Tuple

    /// One direction's addresses and ports (ports are 0 for protocols without them).
    public struct Tuple: Sendable, Hashable {
        public var source: IPAddress
        public var destination: IPAddress
        public var sourcePort: UInt16
        public var destinationPort: UInt16

        public init(source: IPAddress, destination: IPAddress, sourcePort: UInt16 = 0, destinationPort: UInt16 = 0) {
            self.source = source
            self.destination = destination
            self.sourcePort = sourcePort
            self.destinationPort = destinationPort
        }
    }

    public init(family: IPFamily, protocolNumber: UInt8, original: Tuple, reply: Tuple) {
        self.family = family
        self.protocolNumber = protocolNumber
        self.original = original
        self.reply = reply
    }

    /// The Kubernetes protocol of the flow, if it is one Services use.
    public var transportProtocol: TransportProtocol? { TransportProtocol(protocolNumber: protocolNumber) }

    public var description: String {
        let name = transportProtocol?.netfilterName ?? "proto \(protocolNumber)"
        return "\(name) \(original.source):\(original.sourcePort) → \(original.destination):\(original.destinationPort)"
            + " (reply from \(reply.source):\(reply.sourcePort))"
    }
}

extension TransportProtocol {
    /// IANA's protocol number, as conntrack and the IP header carry it.
    public var protocolNumber: UInt8 {
        switch self {
        case .tcp: 6
        case .udp: 17
        case .sctp: 132
        }
    }

    public init?(protocolNumber: UInt8) {
        switch protocolNumber {
        case 6: self = .tcp
        case 17: self = .udp
        case 132: self = .sctp
        default: return nil
        }
    }
}
