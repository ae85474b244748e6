@testable import Backends
import Foundation
import ProxyTesting
import ServiceModel
import Testing

/// What keeps one Service from breaking a transaction: text from outside is quoted safely, comments fit, interval
/// elements never overlap, and hairpin traffic of every endpoint is masqueraded.
@Suite("nftables rendering is safe with any input")
struct NftablesSafetyTests {
    static let node = Fixtures.node("node-a", addresses: ["192.168.1.10", "fd00::10"])

    func states(_ objects: [KubernetesObject], configuration: ProxyConfiguration = NftablesRendererTests.configuration) -> [DesiredState] {
        let snapshot = ClusterSnapshot(objects + [.node(Self.node)])
        let model = ProxyModel(configuration: configuration)
        let context = NodeContext(snapshot: snapshot, nodeName: "node-a", localAddresses: [])
        return [model.desiredState(for: .ipv4, snapshot: snapshot, node: context).state]
    }

    // MARK: Quoting

    @Test(arguments: [
        ("web", "web"),
        ("a\" : accept }\ndelete table inet filter", "a? : accept }?delete table inet filter"),
        ("nul\u{0}tab\tdel\u{7f}c1\u{85}", "nul?tab?del?c1?"),
        ("back\\slash*star", "back?slash?star"),
        ("line\u{2028}sep", "line?sep"),
        ("héllo wörld ✓", "héllo wörld ✓"),
    ])
    func externalTextCannotEndAStringOrALine(raw: String, safe: String) {
        #expect(NftablesString(raw).text == safe)
        #expect(NftablesString(raw).quoted == "\"\(safe)\"")
    }

    @Test func commentsAreCutTo128BytesAtACharacterBoundary() {
        #expect(NftablesString.comment(String(repeating: "a", count: 200)).text == String(repeating: "a", count: 128))
        // 127 ASCII bytes, then a two-byte character that would end at byte 129: it goes entirely.
        let cut = NftablesString.comment(String(repeating: "a", count: 127) + "é" + "b").text
        #expect(cut == String(repeating: "a", count: 127))
        #expect(NftablesString.comment(String(repeating: "é", count: 100)).text.utf8.count == 128)
    }

    /// The longest names Kubernetes allows: namespace, Service and port name are each a 63-character DNS-1123
    /// label.
    @Test func maximalLegalNamesGiveCommentsTheKernelAccepts() {
        let namespace = String(repeating: "n", count: 63)
        let name = String(repeating: "s", count: 63)
        let port = String(repeating: "p", count: 63)
        let service = Fixtures.service("\(namespace)/\(name)", type: "LoadBalancer", ports: [.tcp(80, name: port, nodePort: 30080)]) {
            $0.spec.loadBalancerSourceRanges = ["192.0.2.0/24"]
            $0.status = .init(loadBalancer: .init(ingress: [.init(ip: "203.0.113.7")]))
        }
        let text = NftablesRenderer().full(states([.service(service)]), previous: nil).transaction.text
        let comments = text.split(separator: "comment \"").dropFirst().map { $0.prefix { $0 != "\"" } }
        #expect(comments.count >= 4)
        for comment in comments {
            #expect(comment.utf8.count <= 128, "\(comment)")
        }
        // "namespace/name:" alone is 128 bytes: the port name and the kind of traffic are cut.
        #expect(comments.contains { $0 == "\(namespace)/\(name):" })
    }

    @Test func interfaceNamesAreQuotedSafely() {
        let syntax = NftablesSyntax(family: .ipv4)
        #expect(syntax.localPodMatch(.interfaceName("cni0"), negated: false) == "iifname \"cni0\"")
        #expect(syntax.localPodMatch(.interfaceNamePrefix("veth"), negated: true) == "iifname != \"veth*\"")
        #expect(syntax.localPodMatch(.interfaceName("x\" a\nflush #"), negated: false) == "iifname \"x? a?flush #\"")
        #expect(syntax.localPodMatch(.interfaceName(""), negated: false) == nil)
        #expect(syntax.localPodMatch(.interfaceNamePrefix("a*b\""), negated: false) == "iifname \"a?b?*\"")
        // nft counts the wildcard in its limit: a prefix as long as a whole name is that name.
        #expect(syntax.localPodMatch(.interfaceNamePrefix("123456789012345"), negated: false) == "iifname \"123456789012345\"")
        #expect(syntax.localPodMatch(.interfaceName("1234567890123456789"), negated: false) == "iifname \"123456789012345\"")
    }

    // MARK: Intervals

    func firewallAllow(_ text: String) -> [String] {
        guard let start = text.range(of: "add element ip proxyd firewall-allow {\n") else { return [] }
        let body = text[start.upperBound...].prefix { $0 != "}" }
        return body.split(separator: "\n").flatMap { $0.split(separator: ",") }
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    @Test func nestedSourceRangesAndALoadBalancerInsideThemLoadNoOverlappingIntervals() {
        // The node (192.168.1.10) is inside 192.168.0.0/16, so the LB IP joins the ranges — and lies in 192.168.0.0/16 too.
        let service = Fixtures.service("lb", type: "LoadBalancer", ports: [.tcp(443)]) {
            $0.spec.loadBalancerSourceRanges = ["192.168.0.0/16", "192.168.1.0/24", "10.0.0.0/8", "10.1.0.0/16"]
            $0.status = .init(loadBalancer: .init(ingress: [.init(ip: "192.168.7.7"), .init(ip: "203.0.113.7")]))
        }
        let text = NftablesRenderer().full(states([.service(service)]), previous: nil).transaction.text
        #expect(firewallAllow(text) == [
            "192.168.7.7 . tcp . 443 . 10.0.0.0/8", "192.168.7.7 . tcp . 443 . 192.168.0.0/16",
            "203.0.113.7 . tcp . 443 . 10.0.0.0/8", "203.0.113.7 . tcp . 443 . 192.168.0.0/16",
            "203.0.113.7 . tcp . 443 . 203.0.113.7/32",
        ])
    }

    @Test func twoServicesClaimingOneLoadBalancerLoadOnlyTheWinnersRanges() {
        func lb(_ name: String, clusterIP: String, ranges: [String]) -> KubernetesObject {
            .service(Fixtures.service(name, clusterIP: clusterIP, type: "LoadBalancer", ports: [.tcp(443)]) {
                $0.spec.loadBalancerSourceRanges = ranges
                $0.status = .init(loadBalancer: .init(ingress: [.init(ip: "203.0.113.7")]))
            })
        }
        let a = lb("a", clusterIP: "10.96.0.1", ranges: ["10.1.0.0/16"])
        let b = lb("b", clusterIP: "10.96.0.2", ranges: ["10.0.0.0/8"])
        let renderer = NftablesRenderer()
        let onlyB = states([b])
        let committed = renderer.full(onlyB, previous: nil).renderings
        #expect(firewallAllow(renderer.full(states([a, b]), previous: nil).transaction.text) == ["203.0.113.7 . tcp . 443 . 10.1.0.0/16"])
        // A partial sync adding `a` (which sorts first) swaps B's interval for A's: never both at once.
        let partial = renderer.partial([DesiredStateDiff(from: onlyB[0], to: states([a, b])[0])], committed: committed)
        let lines = partial.transaction.lines
        #expect(lines.contains("delete element ip proxyd firewall-allow { 203.0.113.7 . tcp . 443 . 10.0.0.0/8 }"))
        #expect(lines.contains("add element ip proxyd firewall-allow { 203.0.113.7 . tcp . 443 . 10.1.0.0/16 }"))
        let deletion = lines.firstIndex { $0.hasPrefix("delete element ip proxyd firewall-allow") }!
        let addition = lines.firstIndex { $0.hasPrefix("add element ip proxyd firewall-allow") }!
        #expect(deletion < addition)
    }

    @Test func nestedPodCIDRsMatchAsOnePrefix() {
        let syntax = NftablesSyntax(family: .ipv4)
        #expect(syntax.localPodMatch(.sourceCIDRs(["10.244.0.0/16", "10.244.1.0/24"]), negated: false) == "ip saddr 10.244.0.0/16")
    }

    // MARK: Hairpin

    @Test func everyEndpointThatCanReachItselfThroughThisNodeIsMasqueraded() {
        let endpoints: [EndpointSlice.Endpoint] = [.ready("10.244.0.5", node: "node-a"), .ready("10.244.0.6"), .ready("10.244.1.7", node: "node-b")]
        // ClusterIP only: the local endpoint and the one whose slice names no node; a pod of node-b reaches the
        // ClusterIP through node-b's own rules.
        let web = Fixtures.service("web")
        let slice = Fixtures.slice("default/web-1", service: "web", endpoints: endpoints)
        let text = NftablesRenderer().full(states([.service(web), .endpointSlice(slice)]), previous: nil).transaction.text
        #expect(text.contains("add element ip proxyd hairpin {\n\t10.244.0.5 . 10.244.0.5,\n\t10.244.0.6 . 10.244.0.6\n}\n"))
        // externalTrafficPolicy Local: pods of other nodes sending to this node's NodePort are short-circuited here.
        let local = Fixtures.service("local", type: "NodePort", ports: [.tcp(80, nodePort: 30080)]) { $0.spec.externalTrafficPolicy = "Local" }
        let localSlice = Fixtures.slice("default/local-1", service: "local", endpoints: endpoints)
        let localText = NftablesRenderer().full(states([.service(local), .endpointSlice(localSlice)]), previous: nil).transaction.text
        #expect(localText.contains("add element ip proxyd hairpin {\n\t10.244.0.5 . 10.244.0.5,\n\t10.244.0.6 . 10.244.0.6,\n\t10.244.1.7 . 10.244.1.7\n}\n"))
    }
}
