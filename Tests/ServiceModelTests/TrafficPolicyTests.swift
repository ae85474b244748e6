import ProxyTesting
import ServiceModel
import Testing

@Suite("Traffic policies and what happens without endpoints")
struct TrafficPolicyTests {
    func run(_ endpoints: [EndpointSlice.Endpoint], type: String = "NodePort", configure: (inout Service) -> Void) -> ServicePort? {
        let service = Fixtures.service("web", type: type, ports: [.tcp(80, nodePort: 30080)], configure: configure)
        let slice = Fixtures.slice("default/web-1", service: "web", endpoints: endpoints)
        return ModelHarness.run(services: [service], slices: [slice]).port("web")
    }

    @Test func noEndpointsAtAllRejectsInternalAndExternalTraffic() {
        let port = run([]) { _ in }
        #expect(port?.internalTrafficAction == .reject)
        #expect(port?.externalTrafficAction == .reject)
    }

    @Test func internalTrafficPolicyLocalUsesOnlyLocalEndpoints() {
        let port = run([.ready("10.244.1.5", node: "node-a"), .ready("10.244.2.5", node: "node-b")]) {
            $0.spec.internalTrafficPolicy = "Local"
        }
        #expect(port?.internalEndpoints.texts == ["10.244.1.5:8080"])
        #expect(port?.internalTrafficAction == .forward)
        // External traffic still follows externalTrafficPolicy (Cluster).
        #expect(port?.externalEndpoints.count == 2)
    }

    @Test func internalTrafficPolicyLocalWithoutLocalEndpointDrops() {
        let port = run([.ready("10.244.2.5", node: "node-b")]) { $0.spec.internalTrafficPolicy = "Local" }
        #expect(port?.internalTrafficAction == .drop)
        #expect(port?.externalTrafficAction == .forward)
    }

    @Test func externalTrafficPolicyLocalUsesOnlyLocalEndpointsForExternalTraffic() {
        let port = run([.ready("10.244.1.5", node: "node-a"), .ready("10.244.2.5", node: "node-b")]) {
            $0.spec.externalTrafficPolicy = "Local"
        }
        #expect(port?.externalEndpoints.texts == ["10.244.1.5:8080"])
        #expect(port?.internalEndpoints.count == 2)
        #expect(port?.shortCircuitsLocalExternalTraffic == true)
    }

    @Test func externalTrafficPolicyLocalWithoutLocalEndpointDropsButShortCircuitsLocalTraffic() {
        let port = run([.ready("10.244.2.5", node: "node-b")]) { $0.spec.externalTrafficPolicy = "Local" }
        #expect(port?.externalTrafficAction == .drop)
        #expect(port?.internalTrafficAction == .forward)
        #expect(port?.shortCircuitsLocalExternalTraffic == true)
        #expect(port?.clusterEndpoints.texts == ["10.244.2.5:8080"], "short-circuited traffic goes to all cluster endpoints")
    }

    @Test func externalTrafficPolicyLocalIsIgnoredForServicesWithoutExternalAddresses() {
        let port = run([.ready("10.244.2.5", node: "node-b")], type: "ClusterIP") { $0.spec.externalTrafficPolicy = "Local" }
        #expect(port?.externalTrafficPolicy == .cluster)
        #expect(port?.isExternallyAccessible == false)
        #expect(port?.internalTrafficAction == .forward)
    }

    @Test func healthCheckNodePortOnlyForLocalLoadBalancers() {
        let local = run([.ready("10.244.1.5", node: "node-a")], type: "LoadBalancer") {
            $0.spec.externalTrafficPolicy = "Local"
            $0.spec.healthCheckNodePort = 32100
        }
        #expect(local?.healthCheckNodePort == 32100)
        let cluster = run([.ready("10.244.1.5", node: "node-a")], type: "LoadBalancer") { $0.spec.healthCheckNodePort = 32100 }
        #expect(cluster?.healthCheckNodePort == nil)
    }

    @Test func unknownExternalTrafficPolicyWarnsAndUsesCluster() {
        let service = Fixtures.service("web", type: "NodePort", ports: [.tcp(80, nodePort: 30080)]) { $0.spec.externalTrafficPolicy = "Nearby" }
        let result = ModelHarness.run(services: [service])
        #expect(result.port("web")?.externalTrafficPolicy == .cluster)
        #expect(result.warningTexts.contains("Service default/web: spec.externalTrafficPolicy: \"Nearby\" is not Cluster or Local; using Cluster"))
    }
}
