/// An IP prefix such as `10.96.0.0/12` or `fd00::/108`.
///
/// Parsing follows Go's `net.ParseCIDR` as Kubernetes uses it (`ParseCIDRSloppy`): the address part may have
/// leading zeros, host bits are cleared (`10.0.0.5/8` is `10.0.0.0/8`), and a prefix length outside the
/// family's range is an error.
public struct CIDR: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The network address, host bits cleared.
    public let address: IPAddress
    public let prefixLength: Int

    public init?(address: IPAddress, prefixLength: Int) {
        let maxLength = address.family == .ipv4 ? 32 : 128
        guard (0...maxLength).contains(prefixLength) else { return nil }
        self.address = CIDR.masked(address, prefixLength)
        self.prefixLength = prefixLength
    }

    public init?(_ text: some StringProtocol) {
        guard let slash = text.firstIndex(of: "/") else { return nil }
        let lengthText = text[text.index(after: slash)...]
        guard let address = IPAddress(text[..<slash]),
            !lengthText.isEmpty, lengthText.utf8.count <= 3,
            lengthText.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
            let length = Int(lengthText)
        else { return nil }
        self.init(address: address, prefixLength: length)
    }

    public var family: IPFamily { address.family }

    /// `0.0.0.0/0` or `::/0`: matches everything in its family.
    public var isZero: Bool { prefixLength == 0 }

    /// True when `ip` is of this family and inside the prefix.
    public func contains(_ ip: IPAddress) -> Bool {
        ip.family == family && CIDR.masked(ip, prefixLength) == address
    }

    /// True when every address of `other` is inside this prefix (so `other` adds nothing to it).
    public func covers(_ other: CIDR) -> Bool {
        other.prefixLength >= prefixLength && contains(other.address)
    }

    /// The prefixes of `cidrs` that no other one contains, sorted and without duplicates: the same addresses,
    /// with no two prefixes overlapping.
    ///
    /// Two prefixes either nest or are disjoint, so dropping the nested ones is enough. nftables refuses
    /// overlapping intervals in a set ("File exists"), and this is what makes a list of ranges safe to load.
    public static func nonOverlapping(_ cidrs: some Sequence<CIDR>) -> [CIDR] {
        // Sorted by address, then shorter prefix first: a prefix can only contain prefixes after it.
        let sorted = Set(cidrs).sorted()
        var result: [CIDR] = []
        for cidr in sorted {
            if let last = result.last, last.covers(cidr) { continue }
            result.append(cidr)
        }
        return result
    }

    public var description: String { "\(address)/\(prefixLength)" }

    public static func < (lhs: CIDR, rhs: CIDR) -> Bool {
        (lhs.address, lhs.prefixLength) < (rhs.address, rhs.prefixLength)
    }

    static func masked(_ ip: IPAddress, _ length: Int) -> IPAddress {
        switch ip {
        case .v4(let a):
            let mask: UInt32 = length == 0 ? 0 : ~UInt32(0) << UInt32(32 - length)
            return .v4(IPv4Address(a.value & mask))
        case .v6(let a):
            let highMask: UInt64 = length >= 64 ? ~0 : (length == 0 ? 0 : ~UInt64(0) << UInt64(64 - length))
            let lowMask: UInt64 = length <= 64 ? 0 : (length == 128 ? ~0 : ~UInt64(0) << UInt64(128 - length))
            return .v6(IPv6Address(high: a.high & highMask, low: a.low & lowMask))
        }
    }
}

extension CIDR: ExpressibleByStringLiteral {
    /// For tests and constants only: traps on an invalid literal, which is a programming error.
    public init(stringLiteral value: String) {
        guard let cidr = CIDR(value) else { preconditionFailure("invalid CIDR literal \(value)") }
        self = cidr
    }
}
