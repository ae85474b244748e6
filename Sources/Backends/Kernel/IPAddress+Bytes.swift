import ServiceModel

/// The one conversion between `IPAddress` and the bytes sockets, netlink, IPVS and ctnetlink carry.
extension IPAddress {
    /// The address in network byte order: 4 bytes for IPv4, 16 for IPv6, as sockets and netlink carry it.
    public var networkOrderBytes: [UInt8] {
        switch self {
        case .v4(let v4):
            return (0..<4).map { UInt8(truncatingIfNeeded: v4.value >> UInt32(24 - 8 * $0)) }
        case .v6(let v6):
            return (0..<8).map { UInt8(truncatingIfNeeded: v6.high >> UInt64(56 - 8 * $0)) }
                + (0..<8).map { UInt8(truncatingIfNeeded: v6.low >> UInt64(56 - 8 * $0)) }
        }
    }

    /// The address as the kernel's `union nf_inet_addr` (IPVS, ctnetlink): always 16 bytes in network order, an
    /// IPv4 address in the first 4 and zeros after it.
    public var inetAddressBytes: [UInt8] {
        let bytes = networkOrderBytes
        return bytes + [UInt8](repeating: 0, count: 16 - bytes.count)
    }

    /// An address from network-order bytes: exactly 4 (IPv4) or 16 (IPv6); nil for any other count.
    public init?(networkOrderBytes bytes: some Collection<UInt8>) {
        let octets = Array(bytes)
        switch octets.count {
        case 4:
            self = .v4(IPv4Address(octets.reduce(UInt32(0)) { $0 << 8 | UInt32($1) }))
        case 16:
            self = .v6(IPv6Address(
                high: octets[0..<8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) },
                low: octets[8..<16].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }))
        default:
            return nil
        }
    }

    /// An address of `family` from a `union nf_inet_addr` (the first 4 bytes for IPv4, 16 for IPv6); nil when
    /// there are fewer bytes than the family needs.
    public init?(inetAddressBytes bytes: some Collection<UInt8>, family: IPFamily) {
        let length = family == .ipv4 ? 4 : 16
        guard bytes.count >= length else { return nil }
        self.init(networkOrderBytes: bytes.prefix(length))
    }
}
