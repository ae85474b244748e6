import ServiceModel

/// The lab's hosts, names and addresses, computed from a ``LabSpec`` and the lab's ID. Pure: no I/O.
///
/// ```
///                          pxl-ID-net: bridge br0 ("the node network", 172.18.0.0/24, fd00:172:18::/64)
///            ┌──────────────────────────────┼───────────────────────────────┐
///   client eth0                      node eth0                          remote-node eth0
///   172.18.0.100                     172.18.0.2 (+ .12)                 172.18.0.3
///   fd00:172:18::100                 fd00:172:18::2 (+ ::12)            fd00:172:18::3
///   default via node                 forwarding on                      forwarding on
///                                    vpodN: 10.244.0.1, fd00:10:244::1  vpodN: 10.244.1.1, fd00:10:244:1::1
///                                       │                                  │
///                                    pod N eth0                         remote pod N eth0
///                                    10.244.0.(10+N)/32                 10.244.1.(10+N)/32
///                                    fd00:10:244::(10+N)/128            fd00:10:244:1::(10+N)/128
/// ```
///
/// - The node routes `10.244.1.0/24` and `fd00:10:244:1::/64` to the remote node; the remote node routes the
///   node's pod CIDRs back. The client's default route is the node, so anything it sends to a Service
///   address (ClusterIP, external IP, LoadBalancer IP) enters the node through prerouting.
/// - Pods are attached point-to-point (like the CNI `ptp` plugin, no bridge): every packet between two pods
///   crosses the node's IP stack, so proxyd's rules see pod-to-Service traffic and hairpin replies without
///   br_netfilter.
/// - IPv6 hex groups repeat the IPv4 decimal digits (`10.244.0.11` ↔ `fd00:10:244::11`) so addresses read
///   alike; they are not numerically equal.
///
/// - Important: Namespace names are `pxl-<labID>-<role>`; nothing outside them is touched. Interface names are
///   only unique within a namespace: veth pairs are created with both ends directly in lab namespaces.
public struct LabTopology: Sendable {
    public let labID: String
    public let spec: LabSpec
    public let node: LabHost
    public let client: LabHost
    public let remoteNode: LabHost?
    public let pods: [LabHost]
    public let remotePods: [LabHost]
    /// The namespace holding the node network's bridge; it has no addresses.
    public let switchNamespace: String

    /// The node network's prefix, shared by node, remote node and client.
    public static let nodeNetworkIPv4: CIDR = "172.18.0.0/24"
    public static let nodeNetworkIPv6: CIDR = "fd00:172:18::/64"
    /// The cluster's pod CIDRs (one /24 and /64 per node).
    public static let clusterCIDRIPv4: CIDR = "10.244.0.0/16"
    public static let clusterCIDRIPv6: CIDR = "fd00:10:244::/56"
    /// A second node-network address on the node (for `--nodeport-addresses` tests). It answers, but the node never
    /// uses it as a source address, so masquerade always writes the primary address.
    public static let nodeSecondaryIPv4: IPAddress = "172.18.0.12"
    public static let nodeSecondaryIPv6: IPAddress = "fd00:172:18::12"

    public init(labID: String, spec: LabSpec) {
        self.labID = labID
        self.spec = spec
        let prefix = "pxl-\(labID)-"
        switchNamespace = prefix + "net"
        node = LabHost(
            role: .node, name: "node", namespace: prefix + "node",
            ipv4: Self.nodeNetworkAddress(host: 2, .ipv4), ipv6: Self.nodeNetworkAddress(host: 2, .ipv6),
            extraAddresses: [
                Self.nodeSecondaryIPv4, Self.nodeSecondaryIPv6, Self.podGateway(node: 0, .ipv4), Self.podGateway(node: 0, .ipv6),
            ]
        )
        client = LabHost(
            role: .client, name: "client", namespace: prefix + "client",
            ipv4: Self.nodeNetworkAddress(host: 100, .ipv4), ipv6: Self.nodeNetworkAddress(host: 100, .ipv6)
        )
        remoteNode = spec.hasRemoteNode
            ? LabHost(
                role: .remoteNode, name: "remote-node", namespace: prefix + "remote",
                ipv4: Self.nodeNetworkAddress(host: 3, .ipv4), ipv6: Self.nodeNetworkAddress(host: 3, .ipv6),
                extraAddresses: [Self.podGateway(node: 1, .ipv4), Self.podGateway(node: 1, .ipv6)]
            ) : nil
        pods = spec.pods.enumerated().map { index, name in
            LabHost(
                role: .pod(onRemoteNode: false), name: name, namespace: prefix + "pod-" + name,
                ipv4: Self.podAddress(node: 0, index: index + 1, .ipv4), ipv6: Self.podAddress(node: 0, index: index + 1, .ipv6)
            )
        }
        remotePods = spec.remotePods.enumerated().map { index, name in
            LabHost(
                role: .pod(onRemoteNode: true), name: name, namespace: prefix + "pod-" + name,
                ipv4: Self.podAddress(node: 1, index: index + 1, .ipv4), ipv6: Self.podAddress(node: 1, index: index + 1, .ipv6)
            )
        }
    }

    /// Every host, node first.
    public var hosts: [LabHost] {
        [node, client] + (remoteNode.map { [$0] } ?? []) + pods + remotePods
    }

    /// Every namespace the lab creates, including the switch.
    public var namespaces: [String] { [switchNamespace] + hosts.map(\.namespace) }

    /// A pod (local or remote) by name.
    public func pod(_ name: String) -> LabHost? {
        (pods + remotePods).first { $0.name == name }
    }

    // MARK: Addressing

    /// `172.18.0.<host>` or `fd00:172:18::<host>` (the decimal digits read as hex) on the node network.
    public static func nodeNetworkAddress(host: Int, _ family: IPFamily) -> IPAddress {
        family == .ipv4 ? IPAddress("172.18.0.\(host)")! : IPAddress("fd00:172:18::\(host)")!
    }

    /// The pod CIDR of node 0 (the node under test) or 1 (the remote node).
    public static func podCIDR(node: Int, _ family: IPFamily) -> CIDR {
        family == .ipv4 ? CIDR("10.244.\(node).0/24")! : CIDR("\(v6PodPrefix(node))/64")!
    }

    /// The gateway pods of a node use: the node's address on every pod-facing veth.
    public static func podGateway(node: Int, _ family: IPFamily) -> IPAddress {
        family == .ipv4 ? IPAddress("10.244.\(node).1")! : IPAddress("\(v6PodPrefix(node))1")!
    }

    /// Pod `index` (1-based) of a node: host part `10 + index`.
    public static func podAddress(node: Int, index: Int, _ family: IPFamily) -> IPAddress {
        family == .ipv4 ? IPAddress("10.244.\(node).\(10 + index)")! : IPAddress("\(v6PodPrefix(node))\(10 + index)")!
    }

    private static func v6PodPrefix(_ node: Int) -> String {
        node == 0 ? "fd00:10:244::" : "fd00:10:244:\(node)::"
    }
}
