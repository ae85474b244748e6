import CNetlink
import Glibc
import ServiceModel

/// IPVS over generic netlink (libnl-genl): lists and deletes virtual services in the calling thread's network
/// namespace.
///
/// - Important: Not thread-safe; use one from one thread at a time.
public final class IPVSNetlink {
    private let socket: OpaquePointer
    private let family: Int32

    /// Why IPVS could not be used.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var message: String
        /// The kernel has no IPVS (the `ip_vs` module is not built or not loadable).
        public var isMissingFromKernel: Bool

        public var description: String { message }
    }

    /// Connects and resolves the IPVS family.
    public init() throws(Failure) {
        var socket: OpaquePointer?
        var family: Int32 = 0
        let result = cnetlink_ipvs_open(&socket, &family)
        guard result == 0, let socket else {
            if -result == NLE_OBJ_NOTFOUND {
                throw Failure(message: "the kernel has no IPVS (module ip_vs)", isMissingFromKernel: true)
            }
            throw Failure(message: "cannot open IPVS over netlink: \(Self.text(result))", isMissingFromKernel: false)
        }
        self.socket = socket
        self.family = family
    }

    deinit { nl_socket_free(socket) }

    /// Every virtual service.
    public func services() throws(Failure) -> [IPVSVirtualService] {
        let collector = Collector()
        let result = cnetlink_ipvs_list(socket, family, { raw, context in
            guard let raw, let context else { return }
            Unmanaged<Collector>.fromOpaque(context).takeUnretainedValue().services.append(IPVSNetlink.service(raw.pointee))
        }, Unmanaged.passUnretained(collector).toOpaque())
        guard result == 0 else { throw Failure(message: "listing IPVS services: \(Self.text(result))", isMissingFromKernel: false) }
        return collector.services
    }

    /// Deletes a virtual service and its real servers.
    public func delete(_ service: IPVSVirtualService) throws(Failure) {
        var raw = Self.raw(service)
        let result = cnetlink_ipvs_delete(socket, family, &raw)
        guard result >= 0 else { throw Failure(message: "deleting IPVS service \(service): \(Self.text(result))", isMissingFromKernel: false) }
    }

    private final class Collector {
        var services: [IPVSVirtualService] = []
    }

    static func service(_ raw: cnetlink_ipvs_service) -> IPVSVirtualService {
        let bytes = withUnsafeBytes(of: raw.addr) { Array($0) }
        let address: IPAddress?
        switch Int32(raw.af) {
        case AF_INET: address = .v4(IPv4Address(bytes[0..<4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }))
        case AF_INET6:
            address = .v6(IPv6Address(
                high: bytes[0..<8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) },
                low: bytes[8..<16].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }))
        default: address = nil
        }
        return IPVSVirtualService(
            address: raw.fwmark == 0 ? address : nil, protocolNumber: raw.protocol, port: UInt16(bigEndian: raw.port_be),
            firewallMark: raw.fwmark)
    }

    static func raw(_ service: IPVSVirtualService) -> cnetlink_ipvs_service {
        var raw = cnetlink_ipvs_service()
        var bytes = [UInt8](repeating: 0, count: 16)
        switch service.address {
        case .v4(let v4)?:
            raw.af = UInt16(AF_INET)
            bytes.replaceSubrange(0..<4, with: withUnsafeBytes(of: v4.value.bigEndian) { Array($0) })
        case .v6(let v6)?:
            raw.af = UInt16(AF_INET6)
            bytes = withUnsafeBytes(of: v6.high.bigEndian) { Array($0) } + withUnsafeBytes(of: v6.low.bigEndian) { Array($0) }
        case nil:
            raw.af = UInt16(AF_INET)
        }
        withUnsafeMutableBytes(of: &raw.addr) { $0.copyBytes(from: bytes) }
        raw.protocol = service.protocolNumber
        raw.port_be = service.port.bigEndian
        raw.fwmark = service.firewallMark
        return raw
    }

    static func text(_ code: Int32) -> String { String(cString: cnetlink_error(code)) }
}
