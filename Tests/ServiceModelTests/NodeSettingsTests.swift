import ProxyTesting
import ServiceModel
import Testing

@Suite("Masquerade detection, affinity and node settings")
struct NodeSettingsTests {
    @Test func clusterCIDRModeRecognisesLocalPodsBySourcePrefix() {
        #expect(ModelHarness.run().state.node.localTrafficDetector == .sourceCIDRs(["10.244.0.0/16"]))
        #expect(ModelHarness.run(family: .ipv6).state.node.localTrafficDetector == .sourceCIDRs(["fd00:244::/48"]))
    }

    @Test func clusterCIDRModeWithoutAPrefixOfTheFamilyDetectsNothingAndWarns() {
        var configuration = ModelHarness.configuration
        configuration.clusterCIDRs = ["10.244.0.0/16"]
        let result = ModelHarness.run(configuration: configuration, family: .ipv6)
        #expect(result.state.node.localTrafficDetector == LocalTrafficDetector.none)
        #expect(result.warnings.contains { $0.field == "--cluster-cidr" })
    }

    @Test func nodeCIDRModeUsesTheNodesPodCIDRs() {
        var configuration = ModelHarness.configuration
        configuration.detectLocal = .nodeCIDR
        #expect(ModelHarness.run(configuration: configuration).state.node.localTrafficDetector == .sourceCIDRs(["10.244.1.0/24"]))
        #expect(ModelHarness.run(configuration: configuration, family: .ipv6).state.node.localTrafficDetector == .sourceCIDRs(["fd00:244:1::/64"]))
    }

    @Test func interfaceModesDetectByInputInterface() {
        var configuration = ModelHarness.configuration
        configuration.detectLocal = .bridgeInterface("cni0")
        #expect(ModelHarness.run(configuration: configuration).state.node.localTrafficDetector == .interfaceName("cni0"))
        configuration.detectLocal = .interfaceNamePrefix("veth")
        #expect(ModelHarness.run(configuration: configuration).state.node.localTrafficDetector == .interfaceNamePrefix("veth"))
    }

    @Test func masqueradeAllIsANodeSetting() {
        var configuration = ModelHarness.configuration
        configuration.masqueradeAll = true
        #expect(ModelHarness.run(configuration: configuration).state.node.masqueradeAll)
        #expect(!ModelHarness.run().state.node.masqueradeAll)
    }

    @Test func clientIPAffinityDefaultsToThreeHours() {
        let service = Fixtures.service("web") { $0.spec.sessionAffinity = "ClientIP" }
        #expect(ModelHarness.run(services: [service]).port("web")?.sessionAffinity == .clientIP(timeoutSeconds: 10800))
    }

    @Test func clientIPAffinityTimeoutIsTaken() {
        let service = Fixtures.service("web") {
            $0.spec.sessionAffinity = "ClientIP"
            $0.spec.sessionAffinityConfig = .init(clientIP: .init(timeoutSeconds: 600))
        }
        #expect(ModelHarness.run(services: [service]).port("web")?.sessionAffinity == .clientIP(timeoutSeconds: 600))
    }

    @Test func affinityNoneAndAbsentMeanNoAffinity() {
        let service = Fixtures.service("web") { $0.spec.sessionAffinity = "None" }
        #expect(ModelHarness.run(services: [service]).port("web")?.sessionAffinity == SessionAffinity.none)
        #expect(ModelHarness.run(services: [Fixtures.service("web")]).port("web")?.sessionAffinity == SessionAffinity.none)
    }

    @Test func everyFamilyTheHostSupportsIsServedWhateverTheNodeIPs() {
        let model = ProxyModel(configuration: ProxyConfiguration(nodeName: "node-a", clusterCIDRs: ["10.244.0.0/16"]))
        let v4 = NodeContext(node: Fixtures.node("node-a", addresses: ["192.168.1.10"]))
        #expect(model.servedFamilies(node: v4) == [.ipv4, .ipv6])
        #expect(model.unservedFamilyWarnings(node: v4).isEmpty)
        let unknown = NodeContext(node: nil, localAddresses: ["127.0.0.1", "::1", "fd00::5"])
        #expect(model.servedFamilies(node: unknown) == [.ipv4, .ipv6])
    }

    @Test func aFamilyTheHostLacksIsNotServedAndSaysWhy() {
        let model = ProxyModel(configuration: ProxyConfiguration(nodeName: "node-a"))
        let node = NodeContext(node: Fixtures.node("node-a", addresses: ["192.168.1.10", "fd00::10"]), hostFamilies: [.ipv4])
        #expect(model.servedFamilies(node: node) == [.ipv4])
        #expect(model.unservedFamilyWarnings(node: node).map(\.description) == [
            "IPv6 is not served: this host's kernel has no IPv6 support; the IPv6 addresses of Services (ClusterIPs, external and load-balancer IPs, NodePorts) are not proxied on this node"
        ])
    }

    @Test func theIPv6ClusterIPOfADualStackServiceIsProxiedOnAnIPv4OnlyNode() {
        let service = Fixtures.service("web", clusterIP: "10.96.0.10") {
            $0.spec.clusterIPs = ["10.96.0.10", "fd00:96::10"]
            $0.spec.ipFamilies = ["IPv4", "IPv6"]
        }
        let node = Fixtures.node("node-a", addresses: ["192.168.1.10"])
        var configuration = ModelHarness.configuration
        configuration.clusterCIDRs = ["10.244.0.0/16"]
        let snapshot = ClusterSnapshot.of(services: [service], nodes: [node])
        let model = ProxyModel(configuration: configuration)
        let context = NodeContext(snapshot: snapshot, nodeName: "node-a", localAddresses: ["192.168.1.10"])
        let families = model.servedFamilies(node: context)
        let clusterIPs = families.compactMap {
            model.desiredState(for: $0, snapshot: snapshot, node: context).state.services[ObjectKey(namespace: "default", name: "web")]?.first?.clusterIP
        }
        #expect(clusterIPs == ["10.96.0.10", "fd00:96::10"])
    }
}
