import ServiceModel

/// A connection the kernel tracks in one namespace, as `conntrack -L -o extended` lists it.
///
/// How to read NAT from it:
/// - DNAT: the reply comes *from* the real endpoint, so `reply.source` (and port) is the endpoint while
///   `original.destination` is the Service address.
/// - SNAT / masquerade: the reply goes *to* the rewritten source, so `reply.destination` is the node's address
///   while `original.source` is the client.
public struct ConntrackEntry: Sendable, Hashable, CustomStringConvertible {
    public var family: IPFamily
    /// `tcp`, `udp`, `icmp`, `ipv6-icmp`, … as conntrack names it.
    public var protocolName: String
    /// The TCP state (`ESTABLISHED`, `TIME_WAIT`, …); nil for protocols without states.
    public var state: String?
    public var original: ConntrackTuple
    public var reply: ConntrackTuple
    /// `ASSURED`, `UNREPLIED`, … without brackets.
    public var flags: Set<String>
    public var mark: UInt32?

    public init(
        family: IPFamily, protocolName: String, state: String? = nil, original: ConntrackTuple, reply: ConntrackTuple,
        flags: Set<String> = [], mark: UInt32? = nil
    ) {
        self.family = family
        self.protocolName = protocolName
        self.state = state
        self.original = original
        self.reply = reply
        self.flags = flags
        self.mark = mark
    }

    /// The Kubernetes protocol, for TCP and UDP (and SCTP) entries.
    public var transportProtocol: TransportProtocol? { TransportProtocol(rawValue: protocolName.uppercased()) }

    /// The destination was rewritten (DNAT): the reply comes from somewhere else than where the client sent.
    public var isDestinationNATed: Bool {
        reply.source != original.destination || reply.sourcePort != original.destinationPort
    }

    /// The source was rewritten (SNAT / masquerade): the reply goes somewhere else than the client.
    public var isSourceNATed: Bool {
        reply.destination != original.source || reply.destinationPort != original.sourcePort
    }

    /// Where the connection really went (the endpoint after DNAT).
    public var endpoint: IPSocketAddress? { reply.sourceAddress }

    public var description: String {
        let extra = ([state].compactMap { $0 } + flags.sorted()).joined(separator: " ")
        return "\(family) \(protocolName) \(original) | reply \(reply)\(extra.isEmpty ? "" : " [\(extra)]")"
    }
}
