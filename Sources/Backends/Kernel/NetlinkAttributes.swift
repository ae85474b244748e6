/// The attributes of a netlink message body (or of one nested attribute), by type, as the kernel sent them.
///
/// Parsing checks every length against the bytes at hand: a truncated or overlong attribute is an error naming
/// its offset, never a crash. An attribute type that occurs twice keeps its last value (as `nla_parse` does).
public struct NetlinkAttributes: Sendable {
    private var payloads: [UInt16: ArraySlice<UInt8>] = [:]

    /// A malformed attribute in a kernel message.
    public struct DecodingError: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// Parses the attributes in `bytes` (which start at an attribute header, after any fixed header).
    public init(parsing bytes: ArraySlice<UInt8>) throws(DecodingError) {
        var offset = bytes.startIndex
        while bytes.endIndex - offset >= 4 {
            let length = Int(Self.hostOrder(UInt16.self, bytes[offset..<offset + 2]))
            let type = Self.hostOrder(UInt16.self, bytes[offset + 2..<offset + 4]) & 0x3fff  // NLA_TYPE_MASK
            guard length >= 4, offset + length <= bytes.endIndex else {
                throw DecodingError(description: "netlink attribute at byte \(offset - bytes.startIndex) has length \(length), but \(bytes.endIndex - offset) bytes remain")
            }
            payloads[type] = bytes[offset + 4..<offset + length]
            offset += (length + 3) & ~3
        }
    }

    /// The raw payload of attribute `type`.
    public subscript(_ type: UInt16) -> ArraySlice<UInt8>? { payloads[type] }

    public func u8(_ type: UInt16) -> UInt8? {
        guard let payload = payloads[type], payload.count >= 1 else { return nil }
        return payload[payload.startIndex]
    }

    public func u16(_ type: UInt16) -> UInt16? {
        guard let payload = payloads[type], payload.count >= 2 else { return nil }
        return Self.hostOrder(UInt16.self, payload.prefix(2))
    }

    public func u32(_ type: UInt16) -> UInt32? {
        guard let payload = payloads[type], payload.count >= 4 else { return nil }
        return Self.hostOrder(UInt32.self, payload.prefix(4))
    }

    /// A 16-bit value sent in network byte order.
    public func u16NetworkOrder(_ type: UInt16) -> UInt16? {
        guard let payload = payloads[type], payload.count >= 2 else { return nil }
        return UInt16(payload[payload.startIndex]) << 8 | UInt16(payload[payload.startIndex + 1])
    }

    /// A string, up to its first NUL.
    public func string(_ type: UInt16) -> String? {
        guard let payload = payloads[type] else { return nil }
        return String(decoding: payload.prefix { $0 != 0 }, as: UTF8.self)
    }

    /// The attributes nested in attribute `type`; nil when absent.
    public func nested(_ type: UInt16) throws(DecodingError) -> NetlinkAttributes? {
        guard let payload = payloads[type] else { return nil }
        return try NetlinkAttributes(parsing: payload)
    }

    static func hostOrder<T: FixedWidthInteger>(_: T.Type, _ bytes: ArraySlice<UInt8>) -> T {
        var value = T.zero
        withUnsafeMutableBytes(of: &value) { raw in
            for (index, byte) in bytes.prefix(MemoryLayout<T>.size).enumerated() { raw[index] = byte }
        }
        return value
    }
}
