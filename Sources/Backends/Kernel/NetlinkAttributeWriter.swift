/// Builds the body of a netlink message: a fixed header (`genlmsghdr`, `ifaddrmsg`, …) followed by attributes, each
/// type-length-value and padded to 4 bytes, exactly as the kernel parses them (`include/uapi/linux/netlink.h`).
///
/// Pure: the bytes depend on the calls alone, so a request can be compared byte for byte without a kernel.
/// Integers are in host byte order, as netlink wants them, unless the method says network order.
///
/// - Important: Attribute lengths are 16 bits; the writer is meant for the small requests proxyd sends (a few
///   hundred bytes) and traps on a single attribute of 64 KiB or more, which no caller can produce.
public struct NetlinkAttributeWriter: Sendable {
    /// The message body so far.
    public private(set) var bytes: [UInt8]

    /// `NLA_F_NESTED`: set on nested attributes, as current kernels and iproute2 do.
    public static let nestedFlag: UInt16 = 0x8000

    public init(header: [UInt8] = []) {
        bytes = header
        bytes.reserveCapacity(128)
    }

    /// An attribute with a raw payload.
    public mutating func put(_ type: UInt16, bytes payload: some Collection<UInt8>) {
        let length = 4 + payload.count
        precondition(length <= Int(UInt16.max), "netlink attribute too long")
        appendHostOrder(UInt16(length))
        appendHostOrder(type)
        bytes.append(contentsOf: payload)
        pad()
    }

    public mutating func put(_ type: UInt16, u8 value: UInt8) { put(type, bytes: [value]) }
    public mutating func put(_ type: UInt16, u16 value: UInt16) { put(type, bytes: Self.hostOrder(value)) }
    public mutating func put(_ type: UInt16, u32 value: UInt32) { put(type, bytes: Self.hostOrder(value)) }

    /// A 16-bit value in network byte order (IPVS ports).
    public mutating func put(_ type: UInt16, u16NetworkOrder value: UInt16) {
        put(type, bytes: [UInt8(value >> 8), UInt8(value & 0xff)])
    }

    /// A NUL-terminated string (`NLA_NUL_STRING`, `NLA_STRING`).
    public mutating func put(_ type: UInt16, string: String) {
        put(type, bytes: Array(string.utf8) + [0])
    }

    /// A nested attribute holding what `body` writes.
    public mutating func nest(_ type: UInt16, _ body: (inout NetlinkAttributeWriter) -> Void) {
        var inner = NetlinkAttributeWriter()
        body(&inner)
        put(type | Self.nestedFlag, bytes: inner.bytes)
    }

    /// Appends a fixed-size integer in host byte order (for hand-built headers).
    public mutating func appendHostOrder<T: FixedWidthInteger>(_ value: T) {
        bytes.append(contentsOf: Self.hostOrder(value))
    }

    public static func hostOrder<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        withUnsafeBytes(of: value) { Array($0) }
    }

    private mutating func pad() {
        while bytes.count % 4 != 0 { bytes.append(0) }
    }
}
