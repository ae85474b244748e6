import Glibc

/// Ancillary data (cmsg) for recvmsg/sendmsg, limited to what `serve` needs: the destination address of a
/// received datagram (IP_PKTINFO / IPV6_PKTINFO) and the source address of the reply.
///
/// The CMSG_* macros do not import into Swift, so the layout is spelled out: a `cmsghdr` (16 bytes on 64-bit
/// Linux: `size_t len; int level; int type`) followed by the data at the next 8-byte boundary.
final class ControlBuffer {
    let capacity = 256
    let pointer: UnsafeMutableRawPointer
    var length = 0

    init() {
        pointer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 8)
        pointer.initializeMemory(as: UInt8.self, repeating: 0, count: capacity)
    }

    deinit { pointer.deallocate() }

    /// A received datagram's destination address: 4 bytes (IPv4) or 16 bytes (IPv6, possibly v4-mapped).
    enum PacketInfo {
        case v4(in_addr)
        case v6(in6_addr, interface: UInt32)
    }

    private static let headerSize = MemoryLayout<cmsghdr>.size
    private static func align(_ n: Int) -> Int { (n + 7) & ~7 }

    func packetInfo() -> PacketInfo? {
        var offset = 0
        while offset + Self.headerSize <= length {
            let header = pointer.load(fromByteOffset: offset, as: cmsghdr.self)
            let dataLength = Int(header.cmsg_len) - Self.headerSize
            let data = pointer + offset + Self.align(Self.headerSize)
            if header.cmsg_level == Int32(IPPROTO_IPV6), header.cmsg_type == IPV6_PKTINFO, dataLength >= 20 {
                // struct in6_pktinfo { struct in6_addr ipi6_addr; unsigned int ipi6_ifindex; }
                return .v6(data.loadUnaligned(as: in6_addr.self), interface: data.loadUnaligned(fromByteOffset: 16, as: UInt32.self))
            }
            if header.cmsg_level == Int32(IPPROTO_IP), header.cmsg_type == IP_PKTINFO, dataLength >= 12 {
                // struct in_pktinfo { int ipi_ifindex; struct in_addr ipi_spec_dst; struct in_addr ipi_addr; }
                return .v4(data.loadUnaligned(fromByteOffset: 8, as: in_addr.self))
            }
            guard header.cmsg_len > 0 else { break }
            offset += Self.align(Int(header.cmsg_len))
        }
        return nil
    }

    /// Fills the buffer with one pktinfo message that makes the kernel send from `info`'s address.
    func setPacketInfo(_ info: PacketInfo) {
        let data = pointer + Self.align(Self.headerSize)
        var header = cmsghdr()
        switch info {
        case .v6(var address, let interface):
            // The interface only matters for link-local destinations; elsewhere pinning it would override routing.
            let isLinkLocal = withUnsafeBytes(of: &address) { $0[0] == 0xfe && ($0[1] & 0xc0) == 0x80 }
            header.cmsg_level = Int32(IPPROTO_IPV6)
            header.cmsg_type = IPV6_PKTINFO
            header.cmsg_len = Int(Self.headerSize + 20)
            data.storeBytes(of: address, as: in6_addr.self)
            data.storeBytes(of: isLinkLocal ? interface : 0, toByteOffset: 16, as: UInt32.self)
            length = Self.align(Self.headerSize) + Self.align(20)
        case .v4(let address):
            header.cmsg_level = Int32(IPPROTO_IP)
            header.cmsg_type = IP_PKTINFO
            header.cmsg_len = Int(Self.headerSize + 12)
            data.storeBytes(of: Int32(0), as: Int32.self)  // ipi_ifindex: let routing choose
            data.storeBytes(of: address, toByteOffset: 4, as: in_addr.self)  // ipi_spec_dst: our source
            data.storeBytes(of: in_addr(), toByteOffset: 8, as: in_addr.self)
            length = Self.align(Self.headerSize) + Self.align(12)
        }
        pointer.storeBytes(of: header, as: cmsghdr.self)
    }
}
