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

    @Test func servedFamiliesFollowNodeIPsAndClusterCIDRs() {
        let model = ProxyModel(configuration: ProxyConfiguration(nodeName: "node-a"))
        let dual = NodeContext(node: Fixtures.node("node-a", addresses: ["192.168.1.10", "fd00::10"]))
        #expect(model.servedFamilies(node: dual) == [.ipv4, .ipv6])
        let v4 = NodeContext(node: Fixtures.node("node-a", addresses: ["192.168.1.10"]))
        #expect(model.servedFamilies(node: v4) == [.ipv4])
        let unknown = NodeContext(node: nil, localAddresses: ["127.0.0.1", "::1", "fd00::5"])
        #expect(model.servedFamilies(node: unknown) == [.ipv6])
    }
}
