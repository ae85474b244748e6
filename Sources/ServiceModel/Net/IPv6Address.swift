import Foundation

/// An IPv6 address as two 64-bit halves in host byte order.
///
/// Text output follows RFC 5952 (lower case, the longest run of two or more zero groups compressed), which is
/// also what `nft` and `ip` print, so rendered rules and kernel listings compare equal.
public struct IPv6Address: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var high: UInt64
    public var low: UInt64

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// The eight 16-bit groups, most significant first.
    public init(groups: [UInt16]) {
        precondition(groups.count == 8)
        var h: UInt64 = 0
        var l: UInt64 = 0
        for i in 0..<4 { h = h << 16 | UInt64(groups[i]) }
        for i in 4..<8 { l = l << 16 | UInt64(groups[i]) }
        high = h
        low = l
    }

    public var groups: [UInt16] {
        (0..<8).map { i in
            let word = i < 4 ? high : low
            return UInt16(truncatingIfNeeded: word >> (UInt64(3 - i % 4) * 16))
        }
    }

    /// Parses RFC 4291 text: full, `::`-compressed, or with a trailing dotted IPv4 part. No zone, no brackets.
    public init?(_ text: some StringProtocol) {
        let s = String(text)
        guard !s.isEmpty, s.utf8.count <= 45 else { return nil }
        let halves = s.components(separatedBy: "::")
        switch halves.count {
        case 1:
            guard let groups = IPv6Address.groups(s, isFinalPart: true), groups.count == 8 else { return nil }
            self.init(groups: groups)
        case 2:
            guard let head = IPv6Address.groups(halves[0], isFinalPart: false),
                let tail = IPv6Address.groups(halves[1], isFinalPart: true),
                head.count + tail.count <= 7
            else { return nil }
            self.init(groups: head + Array(repeating: 0, count: 8 - head.count - tail.count) + tail)
        default:
            return nil
        }
    }

    /// The 16-bit groups of a colon-separated run; a dotted IPv4 part is allowed only at the very end.
    private static func groups(_ text: String, isFinalPart: Bool) -> [UInt16]? {
        if text.isEmpty { return [] }
        let pieces = text.split(separator: ":", omittingEmptySubsequences: false)
        var groups: [UInt16] = []
        for (index, piece) in pieces.enumerated() {
            if isFinalPart, index == pieces.count - 1, piece.contains(".") {
                guard let v4 = IPv4Address(piece) else { return nil }
                groups += [UInt16(v4.value >> 16), UInt16(v4.value & 0xffff)]
            } else {
                guard (1...4).contains(piece.utf8.count), piece.allSatisfy(\.isHexDigit), let group = UInt16(piece, radix: 16) else { return nil }
                groups.append(group)
            }
        }
        return groups
    }

    /// The embedded IPv4 address when this is an IPv4-mapped address (`::ffff:a.b.c.d`).
    public var ipv4Mapped: IPv4Address? {
        guard high == 0, low >> 32 == 0xffff else { return nil }
        return IPv4Address(UInt32(truncatingIfNeeded: low))
    }

    public var isLoopback: Bool { high == 0 && low == 1 }
    public var isUnspecified: Bool { high == 0 && low == 0 }
    public var isLinkLocal: Bool { high >> 54 == 0x3fa }  // fe80::/10

    public var description: String {
        let g = groups
        // Find the longest run (>= 2) of zero groups; the first one wins a tie.
        var bestStart = -1
        var bestLength = 0
        var i = 0
        while i < 8 {
            if g[i] == 0 {
                var j = i
                while j < 8, g[j] == 0 { j += 1 }
                if j - i > bestLength {
                    bestStart = i
                    bestLength = j - i
                }
                i = j
            } else {
                i += 1
            }
        }
        func hex(_ range: Range<Int>) -> String {
            range.map { String(g[$0], radix: 16) }.joined(separator: ":")
        }
        if bestLength < 2 { return hex(0..<8) }
        return hex(0..<bestStart) + "::" + hex((bestStart + bestLength)..<8)
    }

    public static func < (lhs: IPv6Address, rhs: IPv6Address) -> Bool {
        (lhs.high, lhs.low) < (rhs.high, rhs.low)
    }
}
