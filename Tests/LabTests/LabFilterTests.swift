import ProxyTesting
import ServiceModel
import Testing

/// Filter verdicts as a client sees them. Each case first proves the port answers, then applies one rule
/// in the node's input hook, so the changed outcome can only come from that rule.
@Suite(.requiresRoot)
struct LabFilterTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var proto: TransportProtocol
        var rule: String
        var expected: ConnectionOutcome
        var testDescription: String { "\(proto) `\(rule)` → \(expected)" }
    }

    static let port: UInt16 = 30081

    static let rejections: [Case] = [
        Case(proto: .tcp, rule: "reject", expected: .refused),  // ICMP port unreachable
        Case(proto: .tcp, rule: "reject with tcp reset", expected: .refused),  // TCP RST
        Case(proto: .udp, rule: "reject", expected: .refused),  // ICMP port unreachable on a connected UDP socket
        Case(proto: .tcp, rule: "reject with icmpx type host-unreachable", expected: .unreachable),
        Case(proto: .udp, rule: "reject with icmpx type admin-prohibited", expected: .unreachable),
    ]

    static let drops: [Case] = [
        Case(proto: .tcp, rule: "drop", expected: .timeout),
        Case(proto: .udp, rule: "drop", expected: .timeout),
    ]

    @Test("reject rules give refused (RST or ICMP port unreachable) or unreachable", arguments: rejections, IPFamily.allCases)
    func reject(_ rejection: Case, family: IPFamily) async throws {
        try await check(rejection, family: family, timeout: NetworkLab.defaultConnectTimeout)
    }

    @Test("drop rules give timeout", arguments: drops, IPFamily.allCases)
    func drop(_ drop: Case, family: IPFamily) async throws {
        try await check(drop, family: family, timeout: .milliseconds(300))
    }

    private func check(_ filter: Case, family: IPFamily, timeout: Duration) async throws {
        try await NetworkLab.with(LabSpec(pods: [])) { lab in
            // A server on the node itself, like a hostNetwork pod.
            try await lab.serve(in: lab.node, tcp: [Self.port], udp: [Self.port])
            let target = lab.node.address(family)

            let before = try await lab.connect(from: lab.client, to: target, port: Self.port, proto: filter.proto)
            #expect(before.replyName == "node", "without the rule the port answers: \(before)")

            let transport = filter.proto.netfilterName
            try await lab.nft(
                in: lab.node,
                """
                table inet labtest {
                    chain input {
                        type filter hook input priority filter; policy accept;
                        \(transport) dport \(Self.port) \(filter.rule)
                    }
                }

                """
            )
            let after = try await lab.connect(from: lab.client, to: target, port: Self.port, proto: filter.proto, timeout: timeout)
            #expect(after == filter.expected, "before the rule: \(before)")
        }
    }
}
