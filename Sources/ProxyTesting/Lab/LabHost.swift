import ServiceModel

/// One machine of the lab: a network namespace with a role and its addresses.
///
/// Every host has one IPv4 and one IPv6 primary address; ``addresses`` lists all addresses it owns (the node also
/// owns a secondary address and the pod gateway).
public struct LabHost: Sendable, Hashable, CustomStringConvertible {
    public enum Role: Sendable, Hashable {
        /// The node under test: proxyd's rules go here.
        case node
        /// A second node hosting remote endpoints, reached through the node's routes.
        case remoteNode
        /// An outside client on the node network: its traffic enters the node through prerouting.
        case client
        /// A pod, on the node or on the remote node.
        case pod(onRemoteNode: Bool)
    }

    public let role: Role
    /// `node`, `remote-node`, `client`, or the pod's name.
    public let name: String
    /// The network namespace, for `ip netns exec`.
    public let namespace: String
    public let ipv4: IPAddress
    public let ipv6: IPAddress
    /// Every address this host owns, primary IPv4 and IPv6 first.
    public let addresses: [IPAddress]

    public init(role: Role, name: String, namespace: String, ipv4: IPAddress, ipv6: IPAddress, extraAddresses: [IPAddress] = []) {
        self.role = role
        self.name = name
        self.namespace = namespace
        self.ipv4 = ipv4
        self.ipv6 = ipv6
        self.addresses = [ipv4, ipv6] + extraAddresses
    }

    /// The primary address of a family.
    public func address(_ family: IPFamily) -> IPAddress {
        family == .ipv4 ? ipv4 : ipv6
    }

    public var description: String { "\(name) (netns \(namespace))" }
}
