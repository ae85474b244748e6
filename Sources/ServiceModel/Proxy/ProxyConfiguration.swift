/// The node-independent settings that shape the proxy model (a pure subset of kube-proxy's configuration).
public struct ProxyConfiguration: Sendable, Hashable {
    /// This node's name (`--hostname-override`, else the host name): decides which endpoints are local.
    public var nodeName: String
    /// `--cluster-cidr`: the pod network(s), at most one per family.
    public var clusterCIDRs: [CIDR]
    public var detectLocal: DetectLocalMode
    /// `--nodeport-addresses`: empty means every local address.
    public var nodePortAddresses: [NodePortAddressSelector]
    /// `--masquerade-all`: SNAT everything sent to a Service.
    public var masqueradeAll: Bool
    /// `--service-proxy-name`: Services labelled `service.kubernetes.io/service-proxy-name` with this value are
    /// served; Services labelled with any other value belong to another proxy and are ignored.
    public var serviceProxyName: String?

    public init(
        nodeName: String, clusterCIDRs: [CIDR] = [], detectLocal: DetectLocalMode = .clusterCIDR,
        nodePortAddresses: [NodePortAddressSelector] = [.primary], masqueradeAll: Bool = false,
        serviceProxyName: String? = nil
    ) {
        self.nodeName = nodeName
        self.clusterCIDRs = clusterCIDRs
        self.detectLocal = detectLocal
        self.nodePortAddresses = nodePortAddresses
        self.masqueradeAll = masqueradeAll
        self.serviceProxyName = serviceProxyName
    }
}

/// How traffic from pods on this node is told apart from traffic from elsewhere (`--detect-local-mode`).
public enum DetectLocalMode: Sendable, Hashable, CustomStringConvertible {
    /// Source inside `--cluster-cidr` (the default).
    case clusterCIDR
    /// Source inside this Node's `spec.podCIDRs`.
    case nodeCIDR
    /// Arriving on the pod bridge (`--pod-bridge-interface`).
    case bridgeInterface(String)
    /// Arriving on an interface whose name starts with the prefix (`--pod-interface-name-prefix`).
    case interfaceNamePrefix(String)

    public var description: String {
        switch self {
        case .clusterCIDR: "ClusterCIDR"
        case .nodeCIDR: "NodeCIDR"
        case .bridgeInterface(let name): "BridgeInterface(\(name))"
        case .interfaceNamePrefix(let prefix): "InterfaceNamePrefix(\(prefix))"
        }
    }
}

/// One entry of `--nodeport-addresses`.
public enum NodePortAddressSelector: Sendable, Hashable, CustomStringConvertible {
    /// The node's primary IP of each family (from the Node's `status.addresses`).
    case primary
    /// Every local address inside the prefix.
    case cidr(CIDR)

    public var description: String {
        switch self {
        case .primary: "primary"
        case .cidr(let cidr): cidr.description
        }
    }
}
