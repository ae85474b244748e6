/// How rules recognise traffic from pods on this node, resolved for one IP family.
///
/// Such traffic is not masqueraded when it goes to a ClusterIP (the endpoint sees the pod's own IP), and is
/// short-circuited to all endpoints when it goes to an external address of an eTP=Local Service.
public enum LocalTrafficDetector: Sendable, Hashable, CustomStringConvertible {
    /// Nothing configured for this family: no traffic counts as local-pod traffic.
    case none
    /// Source address inside one of the prefixes (ClusterCIDR or NodeCIDR mode).
    case sourceCIDRs([CIDR])
    /// Arrived on this interface (BridgeInterface mode).
    case interfaceName(String)
    /// Arrived on an interface whose name starts with this prefix (InterfaceNamePrefix mode).
    case interfaceNamePrefix(String)

    public var description: String {
        switch self {
        case .none: "none"
        case .sourceCIDRs(let cidrs): "source in " + cidrs.map(\.description).joined(separator: ",")
        case .interfaceName(let name): "input interface \(name)"
        case .interfaceNamePrefix(let prefix): "input interface \(prefix)*"
        }
    }
}
