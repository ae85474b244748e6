import ProxyTesting
import ServiceModel
import Testing

@Suite("NodePorts, load balancers, external IPs and source ranges")
struct ExternalAccessTests {
    @Test func nodePortIsServedOnlyForNodePortAndLoadBalancerTypes() {
        let nodePort = Fixtures.service("a", type: "NodePort", ports: [.tcp(80, nodePort: 30080)])
        let clusterIP = Fixtures.service("b", clusterIP: "10.96.0.11", ports: [.tcp(80, nodePort: 30081)])
        let result = ModelHarness.run(services: [nodePort, clusterIP])
        #expect(result.port("a")?.nodePort == 30080)
        #expect(result.port("b")?.nodePort == nil)
    }

    @Test func nodePortAddressesDefaultToThePrimaryNodeIP() {
        let result = ModelHarness.run()
        #expect(result.state.node.nodePortAddresses == .addresses(["192.168.1.10"]))
        #expect(result.state.node.nodeIPs == ["192.168.1.10"])
    }

    @Test func nodePortAddressesCIDRsSelectLocalAddresses() {
        var configuration = ModelHarness.configuration
        configuration.nodePortAddresses = [.cidr("10.0.0.0/8"), .cidr("fd00::/8")]
        let v4 = ModelHarness.run(configuration: configuration)
        #expect(v4.state.node.nodePortAddresses == .addresses(["10.0.0.5"]))
        let v6 = ModelHarness.run(configuration: configuration, family: .ipv6)
        #expect(v6.state.node.nodePortAddresses == .addresses(["fd00::10"]))
    }

    @Test func nodePortAddressesCanMixPrimaryAndCIDRs() {
        var configuration = ModelHarness.configuration
        configuration.nodePortAddresses = [.primary, .cidr("10.0.0.0/8")]
        #expect(ModelHarness.run(configuration: configuration).state.node.nodePortAddresses == .addresses(["10.0.0.5", "192.168.1.10"]))
    }

    @Test func emptyNodePortAddressesMeanAllLocalAddresses() {
        var configuration = ModelHarness.configuration
        configuration.nodePortAddresses = []
        #expect(ModelHarness.run(configuration: configuration).state.node.nodePortAddresses == .allLocal)
    }

    @Test func nodePortAddressesOfOnlyTheOtherFamilyMeanAllLocalAddresses() {
        var configuration = ModelHarness.configuration
        configuration.nodePortAddresses = [.cidr("10.0.0.0/8")]
        #expect(ModelHarness.run(configuration: configuration, family: .ipv6).state.node.nodePortAddresses == .allLocal)
    }

    @Test func nodePortCIDRMatchingNothingWarns() {
        var configuration = ModelHarness.configuration
        configuration.nodePortAddresses = [.cidr("172.16.0.0/12")]
        let result = ModelHarness.run(configuration: configuration)
        #expect(result.state.node.nodePortAddresses == .addresses([]))
        #expect(result.warnings.contains { $0.field == "--nodeport-addresses" })
    }

    @Test func primaryWithoutANodeIPOfTheFamilyServesEveryLocalAddress() {
        let v4Only = Fixtures.node("node-a", addresses: ["192.168.1.10"])
        let result = ModelHarness.run(nodes: [v4Only], family: .ipv6)
        #expect(result.state.node.nodePortAddresses == .allLocal)
        #expect(result.warningTexts.contains("--nodeport-addresses: primary: the node has no IPv6 IP; serving IPv6 NodePorts on every local address, as kube-proxy does"))
    }

    @Test(arguments: [NodePortAddressSelector.cidr("0.0.0.0/0"), .cidr("::/0")])
    func zeroLengthNodePortCIDRMeansEveryLocalAddress(selector: NodePortAddressSelector) {
        var configuration = ModelHarness.configuration
        configuration.nodePortAddresses = [.cidr("10.0.0.0/8"), selector, .cidr("fd00::/8")]
        let family: IPFamily = selector == .cidr("0.0.0.0/0") ? .ipv4 : .ipv6
        #expect(ModelHarness.run(configuration: configuration, family: family).state.node.nodePortAddresses == .allLocal)
    }

    @Test func loopbackAddressesNeverServeNodePorts() {
        var configuration = ModelHarness.configuration
        configuration.nodePortAddresses = [.cidr("127.0.0.0/8"), .cidr("192.168.0.0/16"), .cidr("::1/128"), .cidr("fd00::/8")]
        let v4 = ModelHarness.run(configuration: configuration)
        #expect(v4.state.node.nodePortAddresses == .addresses(["192.168.1.10"]))
        #expect(v4.warningTexts.contains("--nodeport-addresses: includes localhost (127.0.0.1) but localhost NodePorts are not supported; ignoring it"))
        let v6 = ModelHarness.run(configuration: configuration, family: .ipv6)
        #expect(v6.state.node.nodePortAddresses == .addresses(["fd00::10"]))
    }

    @Test func nodeIPPrefersInternalIPOverExternalIP() {
        let node = Fixtures.node("node-a", addresses: ["ExternalIP:203.0.113.5", "InternalIP:192.168.1.10"])
        #expect(ModelHarness.run(nodes: [node]).state.node.nodeIPs == ["192.168.1.10"])
        let externalOnly = Fixtures.node("node-a", addresses: ["ExternalIP:203.0.113.5"])
        #expect(ModelHarness.run(nodes: [externalOnly]).state.node.nodeIPs == ["203.0.113.5"])
    }

    @Test func missingNodeFallsBackToALocalAddressWithAWarning() {
        let result = ModelHarness.run(nodes: [])
        #expect(result.state.node.nodeIPs == ["10.0.0.5"])
        #expect(result.warningTexts.contains("Node node-a: not found; using local address 10.0.0.5 as the node's IPv4 IP"))
    }

    @Test func loadBalancerIngressIPsAreProxiedExceptProxyMode() {
        let service = Fixtures.service("lb", type: "LoadBalancer", ports: [.tcp(443, nodePort: 31443)]) {
            $0.status = .init(loadBalancer: .init(ingress: [
                .init(ip: "203.0.113.10"), .init(ip: "203.0.113.11", ipMode: "VIP"), .init(ip: "203.0.113.12", ipMode: "Proxy"),
                .init(hostname: "lb.example.com"), .init(ip: "fd00:203::10"),
            ]))
        }
        let result = ModelHarness.run(services: [service])
        #expect(result.port("lb")?.loadBalancerIPs == ["203.0.113.10", "203.0.113.11"])
        #expect(ModelHarness.run(services: [service], family: .ipv6).port("lb") == nil, "no IPv6 ClusterIP: not served in IPv6")
    }

    @Test func externalIPsAreFilteredByFamily() {
        let service = Fixtures.service("web") { $0.spec.externalIPs = ["198.51.100.7", "fd00:198::7"] }
        let port = ModelHarness.run(services: [service]).port("web")
        #expect(port?.externalIPs == ["198.51.100.7"])
        #expect(port?.isExternallyAccessible == true)
    }

    @Test func sourceRangesTolerateWhitespaceAndFilterByFamily() {
        let service = Fixtures.service("lb", type: "LoadBalancer", ports: [.tcp(443)]) {
            $0.spec.loadBalancerSourceRanges = [" 192.0.2.0/24 ", "\t198.51.100.0/24", "2001:db8::/32"]
            $0.status = .init(loadBalancer: .init(ingress: [.init(ip: "203.0.113.10")]))
        }
        #expect(ModelHarness.run(services: [service]).port("lb")?.loadBalancerSourceRanges == ["192.0.2.0/24", "198.51.100.0/24"])
    }

    @Test func nestedSourceRangesKeepOnlyTheOuterOne() {
        let service = Fixtures.service("lb", type: "LoadBalancer", ports: [.tcp(443)]) {
            $0.spec.loadBalancerSourceRanges = ["10.1.0.0/16", "10.0.0.0/8", "192.0.2.0/24", "10.0.0.0/8", "192.0.2.128/25"]
        }
        #expect(ModelHarness.run(services: [service]).port("lb")?.loadBalancerSourceRanges == ["10.0.0.0/8", "192.0.2.0/24"])
    }

    @Test func zeroSourceRangeAllowsEveryone() {
        let service = Fixtures.service("lb", type: "LoadBalancer", ports: [.tcp(443)]) {
            $0.spec.loadBalancerSourceRanges = ["192.0.2.0/24", "0.0.0.0/0"]
        }
        #expect(ModelHarness.run(services: [service]).port("lb")?.loadBalancerSourceRanges == nil)
    }

    @Test func invalidSourceRangeIsIgnoredWithAWarning() {
        let service = Fixtures.service("lb", type: "LoadBalancer", ports: [.tcp(443)]) {
            $0.spec.loadBalancerSourceRanges = ["192.0.2.0/24", "10.0.0.0/33"]
        }
        let result = ModelHarness.run(services: [service])
        #expect(result.port("lb")?.loadBalancerSourceRanges == ["192.0.2.0/24"])
        #expect(result.warningTexts.contains("Service default/lb: spec.loadBalancerSourceRanges[1]: \"10.0.0.0/33\" is not a CIDR; ignoring this range"))
    }

    @Test func sourceRangesThatAreAllInvalidAllowNoOne() {
        let service = Fixtures.service("lb", type: "LoadBalancer", ports: [.tcp(443)]) { $0.spec.loadBalancerSourceRanges = ["office"] }
        #expect(ModelHarness.run(services: [service]).port("lb")?.loadBalancerSourceRanges == [])
    }

    @Test func sourceRangeContainingTheNodeIPAllowsTheNode() {
        let service = Fixtures.service("lb", type: "LoadBalancer", ports: [.tcp(443)]) { $0.spec.loadBalancerSourceRanges = ["192.168.0.0/16"] }
        #expect(ModelHarness.run(services: [service]).port("lb")?.loadBalancerSourceRangesIncludeNode == true)
        let other = Fixtures.service("lb", type: "LoadBalancer", ports: [.tcp(443)]) { $0.spec.loadBalancerSourceRanges = ["192.0.2.0/24"] }
        #expect(ModelHarness.run(services: [other]).port("lb")?.loadBalancerSourceRangesIncludeNode == false)
    }
}
