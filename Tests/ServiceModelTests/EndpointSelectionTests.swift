import ProxyTesting
import ServiceModel
import Testing

@Suite("Which endpoints serve which traffic")
struct EndpointSelectionTests {
    func port(_ endpoints: [EndpointSlice.Endpoint], configure: (inout Service) -> Void = { _ in }, zone: String? = "zone-a") -> ServicePort? {
        let service = Fixtures.service("web", configure: configure)
        let slice = Fixtures.slice("default/web-1", service: "web", endpoints: endpoints)
        let node = Fixtures.node("node-a", addresses: ["192.168.1.10"], zone: zone)
        return ModelHarness.run(services: [service], slices: [slice], nodes: [node]).port("web")
    }

    @Test func missingConditionsMeanReadyServingNotTerminating() {
        let endpoint = EndpointSlice.Endpoint(addresses: ["10.244.1.5"])
        let result = port([endpoint])
        #expect(result?.clusterEndpoints.first?.isReady == true)
        #expect(result?.clusterEndpoints.first?.isServing == true)
        #expect(result?.clusterEndpoints.first?.isTerminating == false)
    }

    @Test func missingServingFollowsItsDefaultNotReady() {
        // ready=false, serving unset → serving defaults to true, but not terminating: not usable at all.
        let endpoint = EndpointSlice.Endpoint(addresses: ["10.244.1.5"], conditions: .init(ready: false))
        let result = port([endpoint, .ready("10.244.2.5")])
        #expect(result?.clusterEndpoints.texts == ["10.244.2.5:8080"])
    }

    @Test func notReadyEndpointsAreNotUsed() {
        let result = port([.ready("10.244.1.5"), .notReady("10.244.2.5")])
        #expect(result?.clusterEndpoints.texts == ["10.244.1.5:8080"])
    }

    @Test func servingTerminatingEndpointsAreUsedOnlyWhenNothingIsReady() {
        let withReady = port([.ready("10.244.1.5"), .servingTerminating("10.244.2.5")])
        #expect(withReady?.clusterEndpoints.texts == ["10.244.1.5:8080"])
        let onlyTerminating = port([.servingTerminating("10.244.2.5"), .notReady("10.244.3.5")])
        #expect(onlyTerminating?.clusterEndpoints.texts == ["10.244.2.5:8080"])
        #expect(onlyTerminating?.internalTrafficAction == .forward)
    }

    @Test func terminatingButNotServingEndpointsAreNeverUsed() {
        let endpoint = EndpointSlice.Endpoint(addresses: ["10.244.2.5"], conditions: .init(ready: false, serving: false, terminating: true))
        let result = port([endpoint])
        #expect(result?.clusterEndpoints.isEmpty == true)
        #expect(result?.hasAnyEndpoints == false)
        #expect(result?.internalTrafficAction == .reject)
    }

    @Test func localEndpointsAreThoseOnThisNode() {
        let result = port([.ready("10.244.1.5", node: "node-a"), .ready("10.244.2.5", node: "node-b")]) {
            $0.spec.internalTrafficPolicy = "Local"
        }
        #expect(result?.localEndpoints.texts == ["10.244.1.5:8080"])
        #expect(result?.localEndpoints.first?.isLocal == true)
    }

    @Test func localServingTerminatingFallbackIsIndependentOfCluster() {
        let result = port([.servingTerminating("10.244.1.5", node: "node-a"), .ready("10.244.2.5", node: "node-b")]) {
            $0.spec.internalTrafficPolicy = "Local"
        }
        #expect(result?.localEndpoints.texts == ["10.244.1.5:8080"])
    }

    @Test func zoneHintsPickEndpointsOfThisZone() {
        let result = port([
            .ready("10.244.1.5", node: "node-a", zoneHints: ["zone-a"]),
            .ready("10.244.2.5", node: "node-b", zoneHints: ["zone-b"]),
        ])
        #expect(result?.topologyMode == .preferSameZone)
        #expect(result?.clusterEndpoints.texts == ["10.244.1.5:8080"])
    }

    @Test func zoneHintsAreIgnoredUnlessEveryReadyEndpointHasOne() {
        let result = port([.ready("10.244.1.5", zoneHints: ["zone-a"]), .ready("10.244.2.5")])
        #expect(result?.topologyMode == nil)
        #expect(result?.clusterEndpoints.count == 2)
    }

    @Test func zoneHintsAreIgnoredWhenNoneNamesThisZone() {
        let result = port([.ready("10.244.1.5", zoneHints: ["zone-b"]), .ready("10.244.2.5", zoneHints: ["zone-c"])])
        #expect(result?.topologyMode == nil)
        #expect(result?.clusterEndpoints.count == 2)
    }

    @Test func zoneHintsAreIgnoredWhenTheNodeHasNoZone() {
        let result = port([.ready("10.244.1.5", zoneHints: ["zone-a"])], zone: nil)
        #expect(result?.topologyMode == nil)
        #expect(result?.clusterEndpoints.count == 1)
    }

    @Test func nodeHintsPreferEndpointsForThisNode() {
        let result = port([
            .ready("10.244.1.5", nodeHints: ["node-a"]),
            .ready("10.244.2.5", nodeHints: ["node-b"]),
        ])
        #expect(result?.topologyMode == .preferSameNode)
        #expect(result?.clusterEndpoints.texts == ["10.244.1.5:8080"])
    }

    @Test func nodeHintsWithoutOneForThisNodeFallBackToZoneHints() {
        let result = port([
            .ready("10.244.1.5", zoneHints: ["zone-a"], nodeHints: ["node-x"]),
            .ready("10.244.2.5", zoneHints: ["zone-b"], nodeHints: ["node-b"]),
        ])
        #expect(result?.topologyMode == .preferSameZone)
        #expect(result?.clusterEndpoints.texts == ["10.244.1.5:8080"])
    }

    @Test func localTrafficPolicyWinsOverTopology() {
        let result = port([
            .ready("10.244.1.5", node: "node-b", zoneHints: ["zone-a"]),
            .ready("10.244.2.5", node: "node-a", zoneHints: ["zone-b"]),
        ]) { $0.spec.internalTrafficPolicy = "Local" }
        #expect(result?.internalEndpoints.texts == ["10.244.2.5:8080"])
    }

    @Test func duplicateEndpointsAcrossSlicesAreMergedFirstSliceWins() {
        let service = Fixtures.service("web")
        let first = Fixtures.slice("default/web-a", service: "web", endpoints: [.ready("10.244.1.5", node: "node-a")])
        let second = Fixtures.slice("default/web-b", service: "web", endpoints: [.ready("10.244.1.5", node: "node-b"), .ready("10.244.2.5")])
        let result = ModelHarness.run(services: [service], slices: [second, first]).port("web")
        #expect(result?.clusterEndpoints.texts == ["10.244.1.5:8080", "10.244.2.5:8080"])
        #expect(result?.clusterEndpoints.first?.nodeName == "node-a")
    }

    @Test func theLocalCopyOfAnEndpointListedTwiceWins() {
        let service = Fixtures.service("web")
        // The remote copy comes first by slice name; the local one (node-a is this node) still wins, conditions included.
        let first = Fixtures.slice("default/web-a", service: "web", endpoints: [.notReady("10.244.1.5", node: "node-b")])
        let second = Fixtures.slice("default/web-b", service: "web", endpoints: [.ready("10.244.1.5", node: "node-a")])
        let result = ModelHarness.run(services: [service], slices: [first, second]).port("web")
        #expect(result?.clusterEndpoints.texts == ["10.244.1.5:8080"])
        #expect(result?.clusterEndpoints.first?.nodeName == "node-a")
        #expect(result?.clusterEndpoints.first?.isLocal == true)
        #expect(result?.clusterEndpoints.first?.isReady == true)
    }

    @Test func slicePortIsMatchedByNameAndProtocol() {
        let service = Fixtures.service("web", ports: [.tcp(80, name: "http"), .udp(80, name: "http-udp")])
        let slice = Fixtures.slice(
            "default/web-1", service: "web",
            ports: [.init(name: "http", protocol: "TCP", port: 8080), .init(name: "http-udp", protocol: "UDP", port: 9090)],
            endpoints: [.ready("10.244.1.5")])
        let result = ModelHarness.run(services: [service], slices: [slice])
        #expect(result.port("web", "http")?.clusterEndpoints.texts == ["10.244.1.5:8080"])
        #expect(result.port("web", "http-udp")?.clusterEndpoints.texts == ["10.244.1.5:9090"])
    }

    @Test func fqdnSlicesAndOtherServicesSlicesAreIgnored() {
        let service = Fixtures.service("web")
        let fqdn = Fixtures.slice("default/web-fqdn", service: "web", addressType: "FQDN", endpoints: [.ready("db.example.com")])
        let other = Fixtures.slice("default/api-1", service: "api", endpoints: [.ready("10.244.9.9")])
        let result = ModelHarness.run(services: [service], slices: [fqdn, other]).port("web")
        #expect(result?.clusterEndpoints.isEmpty == true)
        #expect(result?.internalTrafficAction == .reject)
    }

    @Test func sliceInAnotherNamespaceDoesNotServeTheService() {
        let service = Fixtures.service("default/web")
        let slice = Fixtures.slice("other/web-1", service: "web", endpoints: [.ready("10.244.1.5")])
        #expect(ModelHarness.run(services: [service], slices: [slice]).port("default/web")?.clusterEndpoints.isEmpty == true)
    }
}
