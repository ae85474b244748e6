import ProxyTesting
import ServiceModel
import Testing

@Suite("Bad input is skipped with a warning and never blocks good input")
struct BadInputTests {
    let good = Fixtures.service("good", clusterIP: "10.96.0.20")

    @Test func unparsableClusterIPSkipsOnlyThatService() {
        let bad = Fixtures.service("bad", clusterIP: "10.96.0.300")
        let result = ModelHarness.run(services: [bad, good])
        #expect(result.port("bad") == nil)
        #expect(result.port("good") != nil)
        #expect(result.warningTexts == ["Service default/bad: spec.clusterIPs[0]: \"10.96.0.300\" is not an IP address; skipping this Service"])
    }

    @Test func clusterIPOfTheWrongFamilyForIPFamiliesIsSkipped() {
        let bad = Fixtures.service("bad", clusterIP: "fd00::1") { $0.spec.ipFamilies = ["IPv4"] }
        let result = ModelHarness.run(services: [bad, good])
        #expect(result.port("bad") == nil)
        #expect(result.warningTexts.first?.contains("spec.clusterIPs[0]") == true)
    }

    @Test func unknownProtocolSkipsOnlyThatPort() {
        let service = Fixtures.service("web", ports: [Service.Port(name: "a", protocol: "ICMP", port: 1), .tcp(80, name: "b")])
        let result = ModelHarness.run(services: [service])
        #expect(result.port("web", "a") == nil)
        #expect(result.port("web", "b") != nil)
        #expect(result.warningTexts == ["Service default/web: spec.ports[0].protocol: \"ICMP\" is not TCP, UDP or SCTP; skipping this port"])
    }

    @Test func outOfRangePortSkipsThatPort() {
        let service = Fixtures.service("web", ports: [.tcp(70000, name: "a"), .tcp(80, name: "b")])
        let result = ModelHarness.run(services: [service])
        #expect(result.port("web", "a") == nil)
        #expect(result.warningTexts == ["Service default/web: spec.ports[0].port: 70000 is not a port number (1…65535); ignoring it"])
    }

    @Test func badExternalIPIsIgnoredAndTheRestServed() {
        let service = Fixtures.service("web") { $0.spec.externalIPs = ["not-an-ip", "198.51.100.7"] }
        let result = ModelHarness.run(services: [service])
        #expect(result.port("web")?.externalIPs == ["198.51.100.7"])
        #expect(result.warningTexts == ["Service default/web: spec.externalIPs[0]: \"not-an-ip\" is not an IP address; ignoring it"])
    }

    @Test func badEndpointAddressSkipsThatEndpoint() {
        let slice = Fixtures.slice("default/good-1", service: "good", endpoints: [.ready("10.244.1.300"), .ready("10.244.1.5")])
        let result = ModelHarness.run(services: [good], slices: [slice])
        #expect(result.port("good")?.clusterEndpoints.texts == ["10.244.1.5:8080"])
        #expect(result.warningTexts == ["EndpointSlice default/good-1: endpoints[0].addresses[0]: \"10.244.1.300\" is not an IPv4 address; skipping this endpoint"])
    }

    @Test func invalidAffinityTimeoutFallsBackToTheDefault() {
        let service = Fixtures.service("web") {
            $0.spec.sessionAffinity = "ClientIP"
            $0.spec.sessionAffinityConfig = .init(clientIP: .init(timeoutSeconds: 0))
        }
        let result = ModelHarness.run(services: [service])
        #expect(result.port("web")?.sessionAffinity == .clientIP(timeoutSeconds: 10800))
        #expect(result.warnings.count == 1)
    }

    @Test func unknownServiceTypeIsTreatedAsClusterIP() {
        let service = Fixtures.service("web", type: "Special", ports: [.tcp(80, nodePort: 30080)])
        let result = ModelHarness.run(services: [service])
        #expect(result.port("web")?.nodePort == nil)
        #expect(result.warningTexts == ["Service default/web: spec.type: \"Special\" is not a known Service type; treating it as ClusterIP"])
    }

    @Test func slicesWithoutServiceLabelAreIgnored() {
        var slice = Fixtures.slice("default/stray", service: "good", endpoints: [.ready("10.244.1.5")])
        slice.metadata.labels = nil
        #expect(ModelHarness.run(services: [good], slices: [slice]).port("good")?.clusterEndpoints.isEmpty == true)
    }
}
