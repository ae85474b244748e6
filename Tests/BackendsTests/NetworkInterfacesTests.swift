import Backends
import ServiceModel
import Testing

/// The one walk over the interfaces' addresses, and the one conversion between addresses and kernel bytes.
@Suite("network interfaces and address bytes")
struct NetworkInterfacesTests {
    @Test func loopbackIsListedAsLosAddressAndCanBeExcludedByInterface() {
        let all = NetworkInterfaces.all()
        #expect(all.contains(.init(interface: "lo", address: "127.0.0.1")), "\(all)")
        #expect(NetworkInterfaces.addresses(of: "lo").contains("127.0.0.1"))
        #expect(NetworkInterfaces.localAddresses().contains("127.0.0.1"))
        #expect(!NetworkInterfaces.localAddresses(excludingInterfaces: ["lo"]).contains("127.0.0.1"))
        #expect(NetworkInterfaces.addresses(of: "pxd-no-such-interface").isEmpty)
    }

    @Test(arguments: [
        ("10.96.0.10", [10, 96, 0, 10] + [UInt8](repeating: 0, count: 12)),
        ("fd00::a", [0xfd] + [UInt8](repeating: 0, count: 14) + [0x0a]),
    ] as [(IPAddress, [UInt8])])
    func addressesRoundTripThroughTheKernelsInetAddressUnion(address: IPAddress, bytes: [UInt8]) {
        #expect(address.inetAddressBytes == bytes)
        #expect(IPAddress(inetAddressBytes: bytes, family: address.family) == address)
        #expect(IPAddress(networkOrderBytes: address.networkOrderBytes) == address)
        #expect(IPAddress(inetAddressBytes: bytes.prefix(3), family: .ipv4) == nil)
    }
}
