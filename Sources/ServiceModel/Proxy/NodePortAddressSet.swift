/// The destination addresses on which NodePorts are served, resolved for one family.
public enum NodePortAddressSet: Sendable, Hashable, CustomStringConvertible {
    /// Every address local to the node, whatever it is at packet time (`fib daddr type local`), loopback
    /// excepted.
    case allLocal
    /// Exactly these addresses (the node's primary IP, or local addresses inside `--nodeport-addresses`).
    case addresses([IPAddress])

    public var description: String {
        switch self {
        case .allLocal: "all local addresses"
        case .addresses(let list): list.isEmpty ? "none" : list.map(\.description).joined(separator: ",")
        }
    }
}
