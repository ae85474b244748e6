import ServiceModel
import Testing

@Suite("IP addresses and CIDRs")
struct AddressTests {
    /// Parses at run time (a literal would pick the trapping string-literal initializer).
    func parse(_ text: String) -> CIDR? { CIDR(text) }

    @Test(arguments: [
        ("10.96.0.10", "10.96.0.10"), ("172.30.0.041", "172.30.0.41"), ("010.001.000.009", "10.1.0.9"),
        ("0.0.0.0", "0.0.0.0"), ("255.255.255.255", "255.255.255.255"),
    ])
    func ipv4LiteralsParseAsDecimal(text: String, expected: String) {
        #expect(IPv4Address(text)?.description == expected)
    }

    @Test(arguments: ["", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1..2.3", " 1.2.3.4", "1.2.3.4 ", "a.b.c.d", "1.2.3.-4", "1.2.3.4/32"])
    func invalidIPv4IsRejected(text: String) {
        #expect(IPv4Address(text) == nil)
    }

    @Test(arguments: [
        ("fd00::10", "fd00::10"), ("FD00:0:0:0:0:0:0:10", "fd00::10"), ("::", "::"), ("::1", "::1"),
        ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"), ("2001:0db8:0000:0000:0000:0000:0002:0001", "2001:db8::2:1"),
        ("1:0:0:2:0:0:0:3", "1:0:0:2::3"), ("1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"), ("64:ff9b::192.0.2.33", "64:ff9b::c000:221"),
        ("fe80::", "fe80::"), ("1:0:2:3:4:5:6:7", "1:0:2:3:4:5:6:7"),
    ])
    func ipv6ParsesAndPrintsCanonically(text: String, expected: String) {
        #expect(IPv6Address(text)?.description == expected)
    }

    @Test(arguments: [":::", "1:2:3:4:5:6:7:8:9", "1::2::3", "12345::", "g::1", ":1:2:3:4:5:6:7", "1:2:3:4:5:6:7:", "::1.2.3", "+1::", "1:2:3:4:5:6:7::8"])
    func invalidIPv6IsRejected(text: String) {
        #expect(IPv6Address(text) == nil)
    }

    @Test func ipv4MappedIPv6IsIPv4() {
        #expect(IPAddress("::ffff:10.0.0.1") == .v4(IPv4Address(10, 0, 0, 1)))
    }

    @Test func addressesSortIPv4First() {
        let sorted = ([IPAddress("fd00::1"), "10.0.0.2", "10.0.0.10", "::1"] as [IPAddress]).sorted()
        #expect(sorted.map(\.description) == ["10.0.0.2", "10.0.0.10", "::1", "fd00::1"])
    }

    @Test func cidrClearsHostBitsAndContains() {
        let cidr = parse("10.244.1.7/16")
        #expect(cidr?.description == "10.244.0.0/16")
        #expect(cidr?.contains("10.244.200.1") == true)
        #expect(cidr?.contains("10.245.0.1") == false)
        #expect(cidr?.contains("fd00::1") == false)
        #expect(parse("fd00:244:1::5/48")?.description == "fd00:244:1::/48")
        #expect(parse("fd00:244:1::5/32")?.description == "fd00:244::/32")
        #expect(parse("fd00:244::/48")?.contains("fd00:244:0:ffff::1") == true)
        #expect(parse("2001:db8::/127")?.contains("2001:db8::1") == true)
        #expect(parse("0.0.0.0/0")?.isZero == true)
    }

    @Test(arguments: ["10.0.0.0/33", "10.0.0.0", "10.0.0.0/", "10.0.0.0/-1", "fd00::/129", "10.0.0.0/8/8", "10.0.0.0/ 8", "x/8"])
    func invalidCIDRIsRejected(text: String) {
        #expect(parse(text) == nil)
    }
}
