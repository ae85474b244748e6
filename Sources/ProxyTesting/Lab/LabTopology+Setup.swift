import ServiceModel

/// The commands that build a ``LabTopology``, as values (pure, so the plan is tested without root).
///
/// Phases run in order; within a phase there is one batch per namespace and batches are independent.
/// 1. `namespaces`: `ip netns add` for every namespace.
/// 2. `sysctls`: per namespace, before any interface exists there, so new interfaces inherit the defaults
///    (no IPv6 duplicate address detection: an address would otherwise stay "tentative" for a second and
///    connections from it would fail).
/// 3. `links`: `ip -n NS -batch -` creating the bridge and veth pairs; each pair is created inside the namespace
///    that owns one end, with its peer placed directly in the other lab namespace — never in the root namespace.
/// 4. `addressing`: `ip -n NS -batch -` for addresses, link state and routes.
public struct LabSetupPlan: Sendable, Equatable {
    public struct Batch: Sendable, Equatable {
        /// The namespace the batch runs in.
        public var namespace: String
        /// `key=value` sysctl settings, or `ip -batch` lines.
        public var lines: [String]
    }

    public var namespaces: [String]
    public var sysctls: [Batch]
    public var links: [Batch]
    public var addressing: [Batch]
}

extension LabTopology {
    /// Interface name of the node-side (or remote-node-side) veth of pod `index` (1-based).
    /// The node-side veth of local pod `index` (1-based).
    public static func podVethName(index: Int) -> String { "vpod\(index)" }

    /// The commands ``NetworkLab`` runs to build this topology.
    public var setupPlan: LabSetupPlan {
        let baseSysctls = [
            "net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0",
            "net.ipv4.conf.all.rp_filter=0", "net.ipv4.conf.default.rp_filter=0",
        ]
        let router = ["net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1"]
        let endHost = ["net.ipv4.ip_forward=0", "net.ipv6.conf.all.forwarding=0"]
        // The switch only bridges frames; without IPv6 its ports stay silent (no RS/MLD noise on the segment).
        let bridgeOnly = ["net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1"]

        var sysctls = [LabSetupPlan.Batch(namespace: switchNamespace, lines: baseSysctls + endHost + bridgeOnly)]
        for host in hosts {
            let forwarding = host.role == .node || host.role == .remoteNode
            let noIPv6 = host.role == .node && spec.ipv4OnlyNode ? bridgeOnly : []
            sysctls.append(.init(namespace: host.namespace, lines: baseSysctls + (forwarding ? router : endHost) + noIPv6))
        }

        // Links: the bridge and one port per node-network member, then one veth per pod from its node.
        var switchLines = ["link add name br0 type bridge mcast_snooping 0", "link set br0 up"]
        for member in [node, client] + (remoteNode.map { [$0] } ?? []) {
            let port = "to-\(member.role == .remoteNode ? "remote" : member.name)"
            switchLines += [
                "link add name \(port) type veth peer name eth0 netns \(member.namespace)",
                "link set \(port) master br0",
                "link set \(port) up",
            ]
        }
        var links = [LabSetupPlan.Batch(namespace: switchNamespace, lines: switchLines)]
        links.append(.init(namespace: node.namespace, lines: Self.podLinkLines(pods)))
        if let remoteNode {
            links.append(.init(namespace: remoteNode.namespace, lines: Self.podLinkLines(remotePods)))
        }
        links.removeAll { $0.lines.isEmpty }

        var addressing = [LabSetupPlan.Batch(namespace: switchNamespace, lines: ["link set lo up"])]
        // Like a real node, the node has a default route (here via the client, standing in for the network's
        // router): node-originated traffic to Service IPs needs a route before nat output can translate it.
        let nodeDefaultRoutes = ["route add default via \(client.ipv4)", "route add default via \(client.ipv6)"]
        var nodeAddressing = nodeLines(node, index: 0, pods: pods, peer: remoteNode, peerIndex: 1) + nodeDefaultRoutes
        // An IPv4-only node has no IPv6 to configure: every line naming an IPv6 address goes.
        if spec.ipv4OnlyNode { nodeAddressing.removeAll(where: Self.namesIPv6) }
        addressing.append(.init(namespace: node.namespace, lines: nodeAddressing))
        if let remoteNode {
            addressing.append(
                .init(namespace: remoteNode.namespace, lines: nodeLines(remoteNode, index: 1, pods: remotePods, peer: node, peerIndex: 0))
            )
        }
        addressing.append(
            .init(
                namespace: client.namespace,
                lines: Self.nodeNetworkLines(client) + [
                    "route add default via \(node.ipv4)",
                    "route add default via \(node.ipv6)",
                ]
            )
        )
        for (pods, nodeIndex) in [(pods, 0), (remotePods, 1)] {
            for pod in pods {
                let gateway4 = Self.podGateway(node: nodeIndex, .ipv4)
                let gateway6 = Self.podGateway(node: nodeIndex, .ipv6)
                addressing.append(
                    .init(
                        namespace: pod.namespace,
                        lines: [
                            "link set lo up",
                            "addr add \(pod.ipv4)/32 dev eth0",
                            "addr add \(pod.ipv6)/128 dev eth0 nodad",
                            "link set eth0 up",
                            "route add \(gateway4)/32 dev eth0",
                            "route add default via \(gateway4) dev eth0",
                            "route add \(gateway6)/128 dev eth0",
                            "route add default via \(gateway6) dev eth0",
                        ]
                    )
                )
            }
        }
        return LabSetupPlan(namespaces: namespaces, sysctls: sysctls, links: links, addressing: addressing)
    }

    /// Whether an `ip -batch` line names an IPv6 address or prefix.
    private static func namesIPv6(_ line: String) -> Bool {
        line.split(separator: " ").contains { word in
            let address = word.split(separator: "/").first.map(String.init) ?? ""
            return IPAddress(address)?.family == .ipv6
        }
    }

    private static func podLinkLines(_ pods: [LabHost]) -> [String] {
        pods.enumerated().map { index, pod in
            "link add name \(podVethName(index: index + 1)) type veth peer name eth0 netns \(pod.namespace)"
        }
    }

    private static func nodeNetworkLines(_ host: LabHost) -> [String] {
        [
            "link set lo up",
            "addr add \(host.ipv4)/\(nodeNetworkIPv4.prefixLength) dev eth0",
            "addr add \(host.ipv6)/\(nodeNetworkIPv6.prefixLength) dev eth0 nodad",
            "link set eth0 up",
        ]
    }

    /// A node's (or the remote node's) node-network addresses, pod veths with routes, and the route to the
    /// other node's pod CIDRs.
    private func nodeLines(_ host: LabHost, index: Int, pods: [LabHost], peer: LabHost?, peerIndex: Int) -> [String] {
        var lines = Self.nodeNetworkLines(host)
        if host.role == .node {
            lines += [
                "addr add \(Self.nodeSecondaryIPv4)/\(Self.nodeNetworkIPv4.prefixLength) dev eth0",
                // Deprecated (preferred_lft 0): still answered, never chosen as a source, so the node's IPv6
                // source address (what masquerade writes) is deterministically the primary.
                "addr add \(Self.nodeSecondaryIPv6)/\(Self.nodeNetworkIPv6.prefixLength) dev eth0 nodad preferred_lft 0",
            ]
        }
        for (podIndex, pod) in pods.enumerated() {
            let veth = Self.podVethName(index: podIndex + 1)
            lines += [
                "addr add \(Self.podGateway(node: index, .ipv4))/32 dev \(veth)",
                "addr add \(Self.podGateway(node: index, .ipv6))/128 dev \(veth) nodad",
                "link set \(veth) up",
                "route add \(pod.ipv4)/32 dev \(veth)",
                "route add \(pod.ipv6)/128 dev \(veth)",
            ]
        }
        if let peer {
            lines += [
                "route add \(Self.podCIDR(node: peerIndex, .ipv4)) via \(peer.ipv4)",
                "route add \(Self.podCIDR(node: peerIndex, .ipv6)) via \(peer.ipv6)",
            ]
        }
        return lines
    }
}
