import ServiceModel
import Testing

import ProxyRuntime
import ProxydConfiguration

/// Where proxyd's HTTP servers listen, from the NodePort addresses and the node's own addresses.
@Suite("listen hosts")
struct ListenHostsTests {
    static let dualStack: [IPAddress] = ["127.0.0.1", "::1", "192.168.49.2", "fd00:192:168:49::2"]
    /// No IPv6 at all, or only loopback: `::` cannot be bound there.
    static let ipv4Only: [IPAddress] = ["127.0.0.1", "192.168.49.2"]
    static let ipv4AndLoopback6: [IPAddress] = ["127.0.0.1", "::1", "192.168.49.2"]
    static let ipv6Only: [IPAddress] = ["127.0.0.1", "::1", "fd00:192:168:49::2"]

    @Test(arguments: [
        // kube-proxy's nftables default (primary): each family's node IP.
        ([IPFamily.ipv4: NodePortAddressSet.addresses(["192.168.49.2"]), .ipv6: .addresses(["fd00:192:168:49::2"])], dualStack,
         ["192.168.49.2", "fd00:192:168:49::2"]),
        // An IPv4-only node: the health-check port used to bind `::` and fail.
        ([.ipv4: .addresses(["192.168.49.2"]), .ipv6: .addresses([])], ipv4Only, ["192.168.49.2"]),
        ([.ipv4: .allLocal], ipv4Only, ["0.0.0.0"]),
        ([.ipv4: .allLocal, .ipv6: .allLocal], ipv4Only, ["0.0.0.0"]),
        ([.ipv4: .allLocal, .ipv6: .allLocal], ipv4AndLoopback6, ["0.0.0.0"]),
        ([.ipv4: .addresses(["192.168.49.2"]), .ipv6: .allLocal], ipv4Only, ["192.168.49.2"]),
        // Every address of both families: one dual-stack listener.
        ([.ipv4: .allLocal, .ipv6: .allLocal], dualStack, ["::"]),
        ([.ipv4: .addresses(["192.168.49.2"]), .ipv6: .allLocal], dualStack, ["::"]),
        ([.ipv4: .allLocal, .ipv6: .addresses(["fd00:192:168:49::2"])], dualStack, ["0.0.0.0", "fd00:192:168:49::2"]),
        ([.ipv6: .allLocal], ipv6Only, ["::"]),
        ([.ipv4: .allLocal, .ipv6: .allLocal], ipv6Only, ["::"]),
        ([.ipv4: .allLocal, .ipv6: .addresses(["fd00:192:168:49::2"])], ipv6Only, ["fd00:192:168:49::2"]),
        ([.ipv4: .addresses([]), .ipv6: .addresses([])], dualStack, []),
    ])
    func healthCheckNodePortsListenOnTheNodePortAddressesOfEachFamily(
        nodePortAddresses: [IPFamily: NodePortAddressSet], local: [IPAddress], expected: [String]
    ) {
        #expect(ListenHosts.healthCheck(nodePortAddresses: nodePortAddresses, localAddresses: local) == expected)
    }

    @Test(arguments: [
        ("0.0.0.0:10256", dualStack, "::"), ("0.0.0.0:10256", ipv4Only, "0.0.0.0"), ("[::]:10256", ipv4Only, "0.0.0.0"),
        ("[::]:10256", ipv6Only, "::"), ("127.0.0.1:10249", dualStack, "127.0.0.1"), ("[::1]:10249", dualStack, "::1"),
        ("192.168.49.2:10256", ipv4Only, "192.168.49.2"),
    ])
    func aWildcardBindAddressListensOnTheFamiliesTheNodeHas(address: String, local: [IPAddress], expected: String) throws {
        let bind = try #require(BindAddressValue(address))
        #expect(ListenHosts.host(for: bind.host, localAddresses: local) == expected)
    }
}
