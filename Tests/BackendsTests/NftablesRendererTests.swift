@testable import Backends
import Foundation
import ProxyTesting
import ServiceModel
import Testing

@Suite("nftables renderer")
struct NftablesRendererTests {
    static let node = Fixtures.node("node-a", addresses: ["192.168.1.10", "fd00::10"], zone: "zone-a")
    static let configuration = ProxyConfiguration(nodeName: "node-a", clusterCIDRs: ["10.244.0.0/16", "fd00:244::/48"])

    func states(_ objects: [KubernetesObject], families: [IPFamily] = [.ipv4]) -> [DesiredState] {
        let snapshot = ClusterSnapshot(objects)
        let model = ProxyModel(configuration: Self.configuration)
        let context = NodeContext(snapshot: snapshot, nodeName: "node-a", localAddresses: [])
        return families.map { model.desiredState(for: $0, snapshot: snapshot, node: context).state }
    }

    /// What the kernel would hold: every set's effective elements, the per-Service chains.
    func kernelView(_ rendering: NftablesRendering) -> ([NftablesElement.ID: NftablesElement], [String: NftablesChain]) {
        (rendering.elements.owners.mapValues { $0.first!.element }, rendering.serviceChains)
    }

    func manyServices(_ count: Int) -> [KubernetesObject] {
        (0..<count).flatMap { i -> [KubernetesObject] in
            let name = "svc\(i)"
            return [
                .service(Fixtures.service(name, clusterIP: "10.96.\(i / 250).\(i % 250 + 1)")),
                .endpointSlice(Fixtures.slice("default/\(name)-1", service: name, ports: [.init(port: 8080)],
                    endpoints: [.ready("10.244.\(i / 250).\(i % 250 + 1)"), .ready("10.245.\(i / 250).\(i % 250 + 1)")])),
            ]
        }
    }

    @Test func renderingIsDeterministic() {
        var cluster = RandomCluster(seed: 7)
        let objects = cluster.objects(node: Self.node)
        let a = NftablesRenderer().full(states(objects, families: [.ipv4, .ipv6]), previous: nil).transaction.text
        let b = NftablesRenderer().full(states(objects.reversed(), families: [.ipv4, .ipv6]), previous: nil).transaction.text
        #expect(a == b)
    }

    @Test func numberOfSetsAndChainsDoesNotGrowWithServices() {
        func count(_ text: String) -> (sets: Int, chains: Int) {
            let lines = text.split(separator: "\n")
            return (lines.filter { $0.hasPrefix("add set ") || $0.hasPrefix("add map ") }.count,
                    lines.filter { $0.hasPrefix("add chain ") }.count)
        }
        let small = count(NftablesRenderer().full(states(manyServices(1)), previous: nil).transaction.text)
        let large = count(NftablesRenderer().full(states(manyServices(2000)), previous: nil).transaction.text)
        #expect(small.sets == large.sets)
        #expect(small.chains == large.chains)
    }

    @Test(arguments: 0..<150)
    func partialRenderCommitsWhatAFullRenderWould(seed: Int) {
        var cluster = RandomCluster(seed: UInt64(seed))
        let renderer = NftablesRenderer()
        var current = states(cluster.objects(node: Self.node))[0]
        var committed = renderer.full([current], previous: nil).renderings
        for _ in 0..<4 {
            let next = states(cluster.objects(node: Self.node))[0]
            let partial = renderer.partial([DesiredStateDiff(from: current, to: next)], committed: committed)
            let full = renderer.full([next], previous: nil)
            let (partialElements, partialChains) = kernelView(partial.renderings[.ipv4]!)
            let (fullElements, fullChains) = kernelView(full.renderings[.ipv4]!)
            #expect(partialElements == fullElements)
            #expect(partialChains == fullChains)
            #expect(partial.renderings[.ipv4]!.sharedChains == full.renderings[.ipv4]!.sharedChains)
            committed = partial.renderings
            current = next
        }
    }

    @Test func twoServicesClaimingOneExternalAddressResolveToTheFirstWithAWarning() {
        let a = Fixtures.service("a", clusterIP: "10.96.0.1") { $0.spec.externalIPs = ["198.51.100.7"] }
        let b = Fixtures.service("b", clusterIP: "10.96.0.2") { $0.spec.externalIPs = ["198.51.100.7"] }
        let slices: [KubernetesObject] = [
            .endpointSlice(Fixtures.slice("default/a-1", service: "a", endpoints: [.ready("10.244.0.1")])),
            .endpointSlice(Fixtures.slice("default/b-1", service: "b", endpoints: [.ready("10.244.0.2"), .ready("10.244.0.3")])),
        ]
        let output = NftablesRenderer().full(states([.service(a), .service(b)] + slices), previous: nil)
        #expect(output.transaction.text.contains("198.51.100.7 . tcp . 80 comment \"default/a external IP\" : goto masq-pick-1"))
        #expect(!output.transaction.text.contains("198.51.100.7 . tcp . 80 comment \"default/b"))
        #expect(output.warnings == ["default/b/TCP and default/a/TCP both claim 198.51.100.7 . tcp . 80 in service-ips; default/a/TCP wins"])

        // When the winner goes, the other Service takes the address over in a partial sync.
        let before = states([.service(a), .service(b)] + slices)[0]
        let after = states([.service(b)] + slices)[0]
        let partial = NftablesRenderer().partial([DesiredStateDiff(from: before, to: after)], committed: output.renderings)
        #expect(partial.transaction.lines.contains("delete element ip proxyd service-ips { 10.96.0.1 . tcp . 80, 198.51.100.7 . tcp . 80 }"))
        #expect(partial.transaction.lines.contains { $0.hasPrefix("add element ip proxyd service-ips { 198.51.100.7 . tcp . 80 comment \"default/b external IP\" : goto masq-pick-2") })
    }

    @Test func anElementSeveralPortsContributeIsWrittenOnce() {
        // Both ports contribute the ClusterIP to cluster-ips: one element, written once.
        let web = Fixtures.service("web", clusterIP: "10.96.0.5", ports: [.tcp(80, name: "http"), .tcp(443, name: "https")])
        let slice = Fixtures.slice(
            "default/web-1", service: "web", ports: [.init(name: "http", port: 8080), .init(name: "https", port: 8443)],
            endpoints: [.ready("10.244.0.1")])
        let text = NftablesRenderer().full(states([.service(web), .endpointSlice(slice)]), previous: nil).transaction.text
        #expect(text.contains("add element ip proxyd cluster-ips {\n\t10.96.0.5\n}\n"))
        #expect(text.contains("\t10.96.0.5 . tcp . 80 comment \"default/web:http cluster IP\" : goto pick-1,\n"))
        #expect(text.contains("\t10.96.0.5 . tcp . 443 comment \"default/web:https cluster IP\" : goto pick-1\n"))
    }

    @Test func aTransactionIsItsLinesAndIsEmptyWithOnlyComments() {
        var transaction = NftablesTransaction(lines: ["# IPv4", "add table ip proxyd"], isFull: false)
        transaction.append("add chain ip proxyd c")
        #expect(transaction.text == "# IPv4\nadd table ip proxyd\nadd chain ip proxyd c\n")
        #expect(transaction.lines == ["# IPv4", "add table ip proxyd", "add chain ip proxyd c"])
        #expect(!transaction.isEmpty)
        #expect(NftablesTransaction(lines: ["# IPv4: -0 +0 ~0 Service ports", "# nothing"], isFull: false).isEmpty)
        #expect(NftablesTransaction(isFull: false).isEmpty)
        #expect(NftablesTransaction(isFull: false).text == "\n")
        #expect(!NftablesTransaction(lines: ["# c", ""], isFull: false).isEmpty, "an empty line is not a comment")
    }

    @Test func oneEndpointChangeIsAFewElementCommands() {
        let before = states(manyServices(500))[0]
        var objects = manyServices(500)
        objects[1] = .endpointSlice(Fixtures.slice("default/svc0-1", service: "svc0", ports: [.init(port: 8080)], endpoints: [.ready("10.244.0.1"), .ready("10.246.0.1")]))
        let after = states(objects)[0]
        let committed = NftablesRenderer().full([before], previous: nil).renderings
        let partial = NftablesRenderer().partial([DesiredStateDiff(from: before, to: after)], committed: committed)
        #expect(partial.transaction.lines.filter { !$0.hasPrefix("#") } == [
            "delete element ip proxyd hairpin { 10.245.0.1 . 10.245.0.1 }",
            "delete element ip proxyd service-endpoints { 10.96.0.1 . tcp . 80 . 1 }",
            "add element ip proxyd hairpin { 10.246.0.1 . 10.246.0.1 }",
            "add element ip proxyd service-endpoints { 10.96.0.1 . tcp . 80 . 1 : 10.246.0.1 . 8080 }",
        ])
    }

    @Test func unchangedStateRendersAnEmptyPartialTransaction() {
        let state = states(manyServices(10))[0]
        let committed = NftablesRenderer().full([state], previous: nil).renderings
        let partial = NftablesRenderer().partial([DesiredStateDiff(from: state, to: state)], committed: committed)
        #expect(partial.transaction.isEmpty)
    }

    @Test func fullRefillKeepsAffinityAndDeletesChainsNoLongerNeeded() {
        let sticky = Fixtures.service("sticky") { $0.spec.sessionAffinity = "ClientIP" }
        let slice = KubernetesObject.endpointSlice(Fixtures.slice("default/sticky-1", service: "sticky", endpoints: [.ready("10.244.0.1")]))
        let first = NftablesRenderer().full(states([.service(sticky), slice]), previous: nil)
        let refill = NftablesRenderer().full(states([]), previous: first.renderings)
        let lines = refill.transaction.lines
        #expect(!lines.contains("flush set ip proxyd affinity"))
        #expect(lines.contains("flush map ip proxyd service-ips"))
        #expect(lines.contains { $0.hasPrefix("delete chain ip proxyd affinity-") })
        #expect(!lines.contains("delete table ip proxyd"))
    }

    /// The example cluster's transaction, reviewed by a human. Set UPDATE_GOLDEN=1 to rewrite it after a
    /// deliberate change, then review the diff.
    @Test func exampleClusterMatchesTheReviewedTransaction() throws {
        let examples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("examples").path
        let contents = FileSourceHelper.load(examples)
        let snapshot = ClusterSnapshot(contents)
        let configuration = ProxyConfiguration(nodeName: "node-a", clusterCIDRs: ["10.244.0.0/16", "fd00:10:244::/56"])
        let model = ProxyModel(configuration: configuration)
        let context = NodeContext(snapshot: snapshot, nodeName: "node-a", localAddresses: [])
        let states = model.servedFamilies(node: context).map { model.desiredState(for: $0, snapshot: snapshot, node: context).state }
        let text = NftablesRenderer().full(states, previous: nil).transaction.text
        let golden = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden/examples-node-a.nft")
        if ProcessInfo.processInfo.environment["UPDATE_GOLDEN"] == "1" {
            try text.write(to: golden, atomically: true, encoding: .utf8)
        }
        let expected = try String(contentsOf: golden, encoding: .utf8)
        #expect(text == expected)
    }
}
