/// What proxyd knows about the node it runs on, for one moment: its Node object (if seen) and the addresses
/// configured in its network namespace.
///
/// The addresses are read at the edge (proxyd) and passed in, so the model stays a pure function.
public struct NodeContext: Sendable, Hashable {
    /// The Node object named by the configuration's `nodeName`, when the source has delivered it.
    public var node: Node?
    /// Addresses on the interfaces of proxyd's network namespace.
    public var localAddresses: [IPAddress]
    /// The IP families the host's kernel supports (IPv6 can be compiled out or disabled at boot); the families
    /// proxyd serves.
    public var hostFamilies: Set<IPFamily>

    public init(node: Node? = nil, localAddresses: [IPAddress] = [], hostFamilies: Set<IPFamily> = Set(IPFamily.allCases)) {
        self.node = node
        self.localAddresses = localAddresses
        self.hostFamilies = hostFamilies
    }

    /// The node's primary IPs, one per family at most: the first `InternalIP` of that family, else the first
    /// `ExternalIP` (upstream's `GetNodeHostIPs`).
    public var nodeIPs: [IPAddress] {
        let addresses = node?.status?.addresses ?? []
        var result: [IPAddress] = []
        for family in IPFamily.allCases {
            for type in ["InternalIP", "ExternalIP"] {
                if let ip = addresses.lazy.filter({ $0.type == type }).compactMap({ IPAddress($0.address) })
                    .first(where: { $0.family == family })
                {
                    result.append(ip)
                    break
                }
            }
        }
        return result
    }

    /// The node's zone from its `topology.kubernetes.io/zone` label.
    public var zone: String? { node?.metadata.label(Node.zoneLabel) }

    /// The node's pod CIDRs (`spec.podCIDRs`, else `spec.podCIDR`), unparsable ones dropped.
    public var podCIDRs: [CIDR] {
        let texts = node?.spec?.podCIDRs ?? node?.spec?.podCIDR.map { [$0] } ?? []
        return texts.compactMap { CIDR($0.trimmingWhitespace) }
    }
}

extension StringProtocol {
    /// The text without leading and trailing spaces, tabs and newlines (Foundation-free).
    public var trimmingWhitespace: String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        return String(self[first...last])
    }
}
