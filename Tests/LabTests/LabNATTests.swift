import ProxyTesting
import ServiceModel
import Testing

/// DNAT and masquerade as the lab observes them: the name and peer a lab server reports, and the node's
/// conntrack entry. Rules are a small hand-written `labtest` table in the node namespace.
@Suite(.requiresRoot)
struct LabNATTests {
    static let nodePort: UInt16 = 30080
    static let podPort: UInt16 = 8080

    /// NodePort-like rules: the node's primary address, port 30080 (TCP and UDP) → `target`:8080, both families.
    static func nodePortTable(to target: LabHost, masquerade: Bool) -> String {
        var rules: [String] = []
        for family in IPFamily.allCases {
            let ip = family.nftAddressFamily
            let node = LabTopology.nodeNetworkAddress(host: 2, family)
            for proto in ["tcp", "udp"] {
                rules.append("\(ip) daddr \(node) \(proto) dport \(nodePort) dnat \(ip) to \(family.nftTarget(target.address(family), podPort))")
            }
        }
        return """
            table inet labtest {
                chain prerouting {
                    type nat hook prerouting priority dstnat; policy accept;
                    \(rules.joined(separator: "\n        "))
                }
                chain postrouting {
                    type nat hook postrouting priority srcnat; policy accept;
                    \(masquerade ? "ct status dnat masquerade" : "")
                }
            }

            """
    }

    @Test("client → node DNAT reaches the pod, which sees the client; conntrack shows the DNAT", arguments: IPFamily.allCases)
    func dnatReachesPod(family: IPFamily) async throws {
        try await NetworkLab.with(LabSpec(pods: ["web-1"])) { lab in
            let web1 = try lab.pod("web-1")
            try await lab.serve(in: web1, tcp: [Self.podPort])
            try await lab.nft(in: lab.node, Self.nodePortTable(to: web1, masquerade: false))

            let attempt = try #require(try await lab.connectAttempts(from: lab.client, to: lab.node.address(family), port: Self.nodePort).first)
            let local = try #require(attempt.local)
            #expect(local.ip == lab.client.address(family))
            #expect(attempt.outcome == .reply(name: "web-1", peer: local))

            let entries = try await lab.conntrackEntries(in: lab.node)
            let entry = try #require(entries.first { $0.original.sourceAddress == local })
            #expect(entry.protocolName == "tcp")
            #expect(entry.original.destinationAddress == IPSocketAddress(ip: lab.node.address(family), port: Self.nodePort))
            #expect(entry.endpoint == IPSocketAddress(ip: web1.address(family), port: Self.podPort))
            #expect(entry.isDestinationNATed)
            #expect(!entry.isSourceNATed)

            try await lab.flushConntrack(in: lab.node)
            #expect(try await lab.conntrackEntries(in: lab.node).isEmpty)
        }
    }

    @Test("masquerade: the pod sees the node's pod-facing address, and so does conntrack's reply tuple", arguments: IPFamily.allCases)
    func masqueradeShowsNodeAddress(family: IPFamily) async throws {
        try await NetworkLab.with(LabSpec(pods: ["web-1"])) { lab in
            let web1 = try lab.pod("web-1")
            try await lab.serve(in: web1, tcp: [Self.podPort], udp: [Self.podPort])
            try await lab.nft(in: lab.node, Self.nodePortTable(to: web1, masquerade: true))
            let gateway = LabTopology.podGateway(node: 0, family)

            for proto in [TransportProtocol.tcp, .udp] {
                let attempt = try #require(
                    try await lab.connectAttempts(from: lab.client, to: lab.node.address(family), port: Self.nodePort, proto: proto).first
                )
                #expect(attempt.outcome.replyName == "web-1", "\(proto)")
                #expect(attempt.outcome.peer?.ip == gateway, "\(proto): the pod must see the node, not the client")

                let local = try #require(attempt.local)
                let entries = try await lab.conntrackEntries(in: lab.node)
                let entry = try #require(entries.first { $0.original.sourceAddress == local }, "\(proto)")
                #expect(entry.transportProtocol == proto)
                #expect(entry.original.source == lab.client.address(family))
                #expect(entry.reply.destination == gateway)
                #expect(entry.isSourceNATed && entry.isDestinationNATed)
            }
        }
    }

    @Test("remote endpoint: masqueraded traffic returns through the node; without masquerade the reply bypasses it", arguments: IPFamily.allCases)
    func remoteEndpointNeedsMasquerade(family: IPFamily) async throws {
        try await NetworkLab.with(LabSpec(pods: [], remotePods: ["web-r"])) { lab in
            let remote = try lab.pod("web-r")
            try await lab.serve(in: remote, tcp: [Self.podPort])

            // The remote pod answers the client directly (same segment), from its own address: the client's
            // SYN to the node never gets its SYN-ACK.
            try await lab.nft(in: lab.node, Self.nodePortTable(to: remote, masquerade: false))
            let direct = try await lab.connect(from: lab.client, to: lab.node.address(family), port: Self.nodePort, timeout: .milliseconds(300))
            #expect(direct == .timeout)

            try await lab.nft(in: lab.node, "delete table inet labtest\n" + Self.nodePortTable(to: remote, masquerade: true))
            let masqueraded = try await lab.connect(from: lab.client, to: lab.node.address(family), port: Self.nodePort)
            #expect(masqueraded.replyName == "web-r")
            #expect(masqueraded.peer?.ip == lab.node.address(family), "masquerade towards the remote node writes the node IP")
        }
    }

    @Test("fresh connections: every attempt a new source port and conntrack entry, spread over both endpoints")
    func freshConnectionsSpreadOverEndpoints() async throws {
        try await NetworkLab.with(LabSpec(pods: ["web-1", "web-2"])) { lab in
            let web1 = try lab.pod("web-1")
            let web2 = try lab.pod("web-2")
            try await lab.serve(in: web1, udp: [Self.podPort])
            try await lab.serve(in: web2, udp: [Self.podPort])
            try await lab.nft(
                in: lab.node,
                """
                table ip labtest {
                    chain prerouting {
                        type nat hook prerouting priority dstnat; policy accept;
                        ip daddr \(lab.node.ipv4) udp dport \(Self.nodePort) numgen random mod 2 vmap { 0 : goto web-1, 1 : goto web-2 }
                    }
                    chain web-1 {
                        udp dport \(Self.nodePort) dnat to \(web1.ipv4):\(Self.podPort)
                    }
                    chain web-2 {
                        udp dport \(Self.nodePort) dnat to \(web2.ipv4):\(Self.podPort)
                    }
                }

                """
            )
            let count = 40
            let attempts = try await lab.connectAttempts(from: lab.client, to: lab.node.ipv4, port: Self.nodePort, proto: .udp, count: count)
            #expect(attempts.count == count)
            #expect(attempts.allSatisfy { $0.outcome.replyName != nil }, "\(attempts)")
            // A reused UDP source port would reuse the previous attempt's conntrack entry and endpoint.
            #expect(Set(attempts.compactMap { $0.local?.port }).count == count)
            // Both endpoints answer: all 40 on one side has probability 2^-39.
            #expect(Set(attempts.compactMap(\.outcome.replyName)) == ["web-1", "web-2"])

            let entries = try await lab.conntrackEntries(in: lab.node).filter {
                $0.protocolName == "udp" && $0.original.destinationPort == Self.nodePort
            }
            #expect(entries.count == count)
            #expect(Set(entries.compactMap { $0.endpoint?.ip }) == [web1.ipv4, web2.ipv4])
        }
    }
}
