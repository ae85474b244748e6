/// What a client saw when it connected: the server's answer, or how the kernel refused.
///
/// This is the observable effect of proxyd's rules on one connection:
/// - ``reply(name:peer:)``: a lab server answered. `name` says which endpoint got the connection (DNAT target);
///   `peer` is the source address that server saw (masqueraded or not).
/// - ``refused``: ECONNREFUSED — a TCP RST or an ICMP port-unreachable (an nft `reject`, or nothing listening).
/// - ``timeout``: no answer before the deadline (an nft `drop`, or a reply that never made it back).
/// - ``unreachable``: EHOSTUNREACH / ENETUNREACH / EACCES (no route, ICMP host/net unreachable or admin-prohibited;
///   Linux reports ICMPv6 admin-prohibited as EACCES).
/// - ``error(_:)``: anything else, with the tool's explanation.
public enum ConnectionOutcome: Sendable, Hashable, CustomStringConvertible {
    case reply(name: String, peer: IPSocketAddress)
    case refused
    case timeout
    case unreachable
    case error(String)

    /// The answering server's name, if a server answered.
    public var replyName: String? {
        if case .reply(let name, _) = self { return name }
        return nil
    }

    /// The peer address the answering server saw, if a server answered.
    public var peer: IPSocketAddress? {
        if case .reply(_, let peer) = self { return peer }
        return nil
    }

    public var description: String {
        switch self {
        case .reply(let name, let peer): "reply from \(name) (saw peer \(peer))"
        case .refused: "refused"
        case .timeout: "timeout"
        case .unreachable: "unreachable"
        case .error(let message): "error: \(message)"
        }
    }
}
