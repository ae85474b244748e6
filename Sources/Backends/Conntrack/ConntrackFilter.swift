import ServiceModel

/// Which tracked connections of one Service destination are stale: those whose original destination is the
/// Service's address and port (or a NodePort) with the Service's protocol, and whose reply does not come from
/// an endpoint that still serves.
///
/// - Important: Matching looks at the reply *address* only, as kube-proxy does: an endpoint that keeps its IP
///   but changes its target port keeps its flows.
public struct ConntrackFilter: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var family: IPFamily
    public var `protocol`: TransportProtocol
    /// The original destination address; nil matches any address (a NodePort served on every local address).
    public var destination: IPAddress?
    public var destinationPort: UInt16
    /// Connections answered from these addresses are left alone (the still-serving endpoints), sorted.
    public var keptReplySources: [IPAddress]

    public init(
        family: IPFamily, protocol: TransportProtocol, destination: IPAddress?, destinationPort: UInt16,
        keptReplySources: [IPAddress] = []
    ) {
        self.family = family
        self.protocol = `protocol`
        self.destination = destination
        self.destinationPort = destinationPort
        self.keptReplySources = Array(Set(keptReplySources)).sorted()
    }

    /// The part that identifies what the filter is about (everything but the kept sources).
    public struct Destination: Sendable, Hashable, Comparable {
        public var family: IPFamily
        public var `protocol`: TransportProtocol
        public var address: IPAddress?
        public var port: UInt16

        /// Family, protocol, then port-only (any address) before addresses in order, then port.
        public static func < (lhs: Destination, rhs: Destination) -> Bool {
            if lhs.family != rhs.family { return lhs.family == .ipv4 }
            if lhs.protocol != rhs.protocol { return lhs.protocol < rhs.protocol }
            if lhs.address != rhs.address {
                guard let left = lhs.address else { return true }
                guard let right = rhs.address else { return false }
                return left < right
            }
            return lhs.port < rhs.port
        }
    }

    public var target: Destination {
        Destination(family: family, protocol: `protocol`, address: destination, port: destinationPort)
    }

    /// The flow goes to this destination and is answered by something that no longer serves it.
    public func matches(_ flow: ConntrackFlow) -> Bool {
        guard flow.family == family, flow.protocolNumber == `protocol`.protocolNumber,
            flow.original.destinationPort == destinationPort
        else { return false }
        if let destination, flow.original.destination != destination { return false }
        return !keptReplySources.contains(flow.reply.source)
    }

    public static func < (lhs: ConntrackFilter, rhs: ConntrackFilter) -> Bool {
        lhs.target < rhs.target
    }

    /// `udp 10.96.0.10:53, reply not from {10.244.0.11}`; `udp *:30053, …` for a NodePort on any address.
    public var description: String {
        let address = destination.map { family == .ipv6 ? "[\($0)]" : "\($0)" } ?? "*"
        let kept = keptReplySources.isEmpty ? "any reply" : "reply not from {\(keptReplySources.map(\.description).joined(separator: ","))}"
        return "\(`protocol`.netfilterName) \(address):\(destinationPort), \(kept)"
    }
}
