import ProxyTesting
import ServiceModel
import Testing

@Suite("Which Services are proxied")
struct ServiceSelectionTests {
    let web = Fixtures.slice("default/web-1", service: "web", endpoints: [.ready("10.244.1.5", node: "node-a")])

    @Test func clusterIPServiceIsProxied() {
        let result = ModelHarness.run(services: [Fixtures.service("web")], slices: [web])
        let port = try! #require(result.port("web"))
        #expect(port.clusterIP == "10.96.0.10")
        #expect(port.port == 80)
        #expect(port.clusterEndpoints.texts == ["10.244.1.5:8080"])
    }

    @Test func headlessServiceIsIgnored() {
        let result = ModelHarness.run(services: [Fixtures.service("web", clusterIP: "None")], slices: [web])
        #expect(result.state.services.isEmpty)
        let serviceWarnings = result.warnings.filter { $0.object?.kind == .service }
        #expect(serviceWarnings.isEmpty)
    }

    @Test func externalNameServiceIsIgnored() {
        let service = Fixtures.service("web", clusterIP: "", type: "ExternalName") { $0.spec.externalName = "db.example.com" }
        #expect(ModelHarness.run(services: [service]).state.services.isEmpty)
    }

    @Test func headlessLabelIsIgnoredWhateverTheClusterIP() {
        let service = Fixtures.service("web") { $0.metadata.labels = [ProxyModel.headlessLabel: ""] }
        #expect(ModelHarness.run(services: [service], slices: [web]).state.services.isEmpty)
    }

    @Test func serviceOfAnotherProxyIsIgnored() {
        let service = Fixtures.service("web") { $0.metadata.labels = [ProxyModel.serviceProxyNameLabel: "cilium"] }
        #expect(ModelHarness.run(services: [service], slices: [web]).state.services.isEmpty)
    }

    @Test func serviceNamingThisProxyIsServed() {
        let service = Fixtures.service("web") { $0.metadata.labels = [ProxyModel.serviceProxyNameLabel: "proxyd"] }
        var configuration = ModelHarness.configuration
        configuration.serviceProxyName = "proxyd"
        let result = ModelHarness.run(services: [service, Fixtures.service("plain", clusterIP: "10.96.0.11")], slices: [web], configuration: configuration)
        #expect(result.port("web") != nil)
        #expect(result.port("plain") != nil, "unlabelled Services stay served")
    }

    @Test func ipv4ServiceIsAbsentFromIPv6State() {
        let result = ModelHarness.run(services: [Fixtures.service("web")], slices: [web], family: .ipv6)
        #expect(result.state.services.isEmpty)
    }

    @Test func dualStackServiceHasOnePortStatePerFamily() {
        let service = Fixtures.service("web") {
            $0.spec.ipFamilies = ["IPv6", "IPv4"]
            $0.spec.clusterIPs = ["fd00:96::10", "10.96.0.10"]
            $0.spec.clusterIP = "fd00:96::10"
        }
        let v6Slice = Fixtures.slice("default/web-v6", service: "web", addressType: "IPv6", endpoints: [.ready("fd00:244:1::5", node: "node-a")])
        let v4 = ModelHarness.run(services: [service], slices: [web, v6Slice], family: .ipv4)
        let v6 = ModelHarness.run(services: [service], slices: [web, v6Slice], family: .ipv6)
        #expect(v4.port("web")?.clusterIP == "10.96.0.10")
        #expect(v4.port("web")?.clusterEndpoints.texts == ["10.244.1.5:8080"])
        #expect(v6.port("web")?.clusterIP == "fd00:96::10")
        #expect(v6.port("web")?.clusterEndpoints.texts == ["[fd00:244:1::5]:8080"])
    }

    @Test func legacyServiceWithoutIPFamiliesUsesClusterIPFamily() {
        let service = Fixtures.service("web", clusterIP: "fd00:96::10") { $0.spec.clusterIPs = nil }
        #expect(ModelHarness.run(services: [service], family: .ipv6).port("web")?.clusterIP == "fd00:96::10")
        #expect(ModelHarness.run(services: [service], family: .ipv4).port("web") == nil)
    }

    @Test func clusterIPWithLeadingZerosReadsAsDecimal() {
        let service = Fixtures.service("web", clusterIP: "172.30.0.041")
        #expect(ModelHarness.run(services: [service]).port("web")?.clusterIP == "172.30.0.41")
    }

    @Test(arguments: [("TCP", TransportProtocol.tcp), ("UDP", .udp), ("SCTP", .sctp)])
    func everyTransportProtocolIsProxied(text: String, expected: TransportProtocol) {
        let service = Fixtures.service("dns", ports: [Service.Port(name: "p", protocol: text, port: 53)])
        let slice = Fixtures.slice("default/dns-1", service: "dns", ports: [.init(name: "p", protocol: text, port: 5353)], endpoints: [.ready("10.244.1.7")])
        let port = ModelHarness.run(services: [service], slices: [slice]).port("dns", "p")
        #expect(port?.protocol == expected)
        #expect(port?.clusterEndpoints.texts == ["10.244.1.7:5353"])
    }

    @Test func missingProtocolMeansTCP() {
        let service = Fixtures.service("web", ports: [Service.Port(port: 80)])
        #expect(ModelHarness.run(services: [service]).port("web")?.protocol == .tcp)
    }

    @Test func portsWithSameNumberAndDifferentProtocolsAreDistinct() {
        let service = Fixtures.service("dns", ports: [.udp(53, name: "dns"), .tcp(53, name: "dns-tcp")])
        let ports = ModelHarness.run(services: [service]).state.services[ObjectKey(namespace: "default", name: "dns")] ?? []
        #expect(ports.map(\.name.description) == ["default/dns:dns", "default/dns:dns-tcp"])
        #expect(ports.map(\.protocol) == [.udp, .tcp])
    }
}
