/// What a test wants in its lab: which pods run on the node, and which on a remote node.
///
/// Everything else — namespace names, interface names, addresses, routes — follows deterministically from the
/// spec (see ``LabTopology``), so a test can write its expected results from the spec alone.
public struct LabSpec: Sendable, Hashable {
    /// Pods on the node under test (local endpoints), in address order: the first gets `10.244.0.11`.
    public var pods: [String]
    /// Pods on a second, remote node reachable through the node (remote endpoints), in address order: the first
    /// gets `10.244.1.11`. Empty: the lab has no remote node.
    public var remotePods: [String]
    /// The node under test has no IPv6 at all (`disable_ipv6` on every interface, so not even `::1`), like a
    /// node of an IPv4-only cluster; every other host keeps both families.
    public var ipv4OnlyNode: Bool

    public init(pods: [String] = ["pod-1"], remotePods: [String] = [], ipv4OnlyNode: Bool = false) {
        self.pods = pods
        self.remotePods = remotePods
        self.ipv4OnlyNode = ipv4OnlyNode
    }

    public var hasRemoteNode: Bool { !remotePods.isEmpty }

    /// The most pods one node can hold: host parts 11…250 of its /24.
    public static let maximumPodsPerNode = 240

    /// Checks names and counts; everything the lab derives from them is then valid.
    public func validate() throws(LabError) {
        let all = pods + remotePods
        for name in all where !Self.isValidPodName(name) {
            throw LabError(.invalidSpec, "pod name \"\(name)\" must be 1–40 characters of a-z, 0-9 and '-'")
        }
        if let duplicate = Dictionary(grouping: all, by: { $0 }).first(where: { $0.value.count > 1 })?.key {
            throw LabError(.invalidSpec, "pod name \"\(duplicate)\" appears twice; pod names are unique in a lab")
        }
        if pods.count > Self.maximumPodsPerNode || remotePods.count > Self.maximumPodsPerNode {
            throw LabError(.invalidSpec, "at most \(Self.maximumPodsPerNode) pods per node")
        }
    }

    private static func isValidPodName(_ name: String) -> Bool {
        (1...40).contains(name.utf8.count)
            && name.utf8.allSatisfy { (0x61...0x7a).contains($0) || (0x30...0x39).contains($0) || $0 == 0x2d }
    }
}
