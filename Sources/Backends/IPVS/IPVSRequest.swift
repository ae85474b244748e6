import CNetlink
import Glibc
import ServiceModel

/// One request to the kernel's IPVS generic-netlink family, as the bytes of the netlink message body: the
/// generic-netlink header, then the attributes of `include/uapi/linux/ip_vs.h`.
///
/// Pure: building a request touches no kernel, so every attribute is tested to the byte. The layout is what the
/// kernel's `ip_vs_genl_parse_service` / `ip_vs_genl_parse_dest` read and what ipvsadm's libipvs sends:
///
/// - service identity: `AF` (u16), then `PROTOCOL` (u16), `ADDR` (16 bytes, IPv4 in the first 4), `PORT` (u16 in
///   network order) — or `FWMARK` (u32) for a firewall-mark service;
/// - full service (add, update): identity, `SCHED_NAME` (NUL-terminated), `FLAGS` (`struct ip_vs_flags`: flags and
///   a mask of all ones, so the flags are set exactly), `TIMEOUT` (u32 seconds), `NETMASK` (u32);
/// - timeouts (`IPVS_CMD_SET_CONFIG`): `TIMEOUT_TCP`, `TIMEOUT_TCP_FIN`, `TIMEOUT_UDP` (u32 seconds each, not nested);
/// - real server: `ADDR_FAMILY` (u16), `ADDR` (16 bytes), `PORT` (u16, network order), and for add / update
///   `FWD_METHOD`, `WEIGHT`, `U_THRESH`, `L_THRESH` (u32 each). Real-server requests name their virtual server
///   by its identity only.
///
/// Integers other than ports are in host byte order (little-endian on x86-64 and arm64).
public struct IPVSRequest: Sendable, Hashable {
    public var command: Command
    /// A dump (list) request rather than a change.
    public var isDump: Bool
    /// The netlink message body.
    public var body: [UInt8]

    /// `IPVS_CMD_*`.
    public enum Command: UInt8, Sendable {
        case newService = 1, setService, deleteService, getService, newDestination, setDestination, deleteDestination,
            getDestination
        case setConfig = 12
    }

    /// `IPVS_GENL_VERSION`.
    public static let version: UInt8 = 1

    init(_ command: Command, isDump: Bool = false, _ attributes: (inout NetlinkAttributeWriter) -> Void = { _ in }) {
        var writer = NetlinkAttributeWriter(header: [command.rawValue, Self.version, 0, 0])
        attributes(&writer)
        self.command = command
        self.isDump = isDump
        body = writer.bytes
    }

    // MARK: virtual servers

    public static func addVirtualServer(_ server: IPVSVirtualServer) -> IPVSRequest {
        IPVSRequest(.newService) { $0.nest(attr(IPVS_CMD_ATTR_SERVICE)) { putFull(server, into: &$0) } }
    }

    /// Changes the scheduler, flags, timeout or netmask of an existing virtual server in place (its real servers
    /// and connections stay).
    public static func updateVirtualServer(_ server: IPVSVirtualServer) -> IPVSRequest {
        IPVSRequest(.setService) { $0.nest(attr(IPVS_CMD_ATTR_SERVICE)) { putFull(server, into: &$0) } }
    }

    /// Deletes a virtual server together with its real servers.
    public static func deleteVirtualServer(_ service: IPVSVirtualService) -> IPVSRequest {
        IPVSRequest(.deleteService) { $0.nest(attr(IPVS_CMD_ATTR_SERVICE)) { putIdentity(service, into: &$0) } }
    }

    /// Lists every virtual server (a dump).
    public static let listVirtualServers = IPVSRequest(.getService, isDump: true)

    // MARK: real servers

    public static func addRealServer(_ realServer: IPVSRealServer, to service: IPVSVirtualService) -> IPVSRequest {
        IPVSRequest(.newDestination) { writer in
            writer.nest(attr(IPVS_CMD_ATTR_SERVICE)) { putIdentity(service, into: &$0) }
            writer.nest(attr(IPVS_CMD_ATTR_DEST)) { putFull(realServer, into: &$0) }
        }
    }

    /// Changes a real server's weight, forwarding method or thresholds (weight 0 drains it).
    public static func updateRealServer(_ realServer: IPVSRealServer, of service: IPVSVirtualService) -> IPVSRequest {
        IPVSRequest(.setDestination) { writer in
            writer.nest(attr(IPVS_CMD_ATTR_SERVICE)) { putIdentity(service, into: &$0) }
            writer.nest(attr(IPVS_CMD_ATTR_DEST)) { putFull(realServer, into: &$0) }
        }
    }

    public static func deleteRealServer(_ id: IPVSRealServer.ID, of service: IPVSVirtualService) -> IPVSRequest {
        IPVSRequest(.deleteDestination) { writer in
            writer.nest(attr(IPVS_CMD_ATTR_SERVICE)) { putIdentity(service, into: &$0) }
            writer.nest(attr(IPVS_CMD_ATTR_DEST)) { putIdentity(id, into: &$0) }
        }
    }

    /// Lists the real servers of one virtual server, with their connection counts (a dump).
    public static func listRealServers(of service: IPVSVirtualService) -> IPVSRequest {
        IPVSRequest(.getDestination, isDump: true) { $0.nest(attr(IPVS_CMD_ATTR_SERVICE)) { putIdentity(service, into: &$0) } }
    }

    // MARK: configuration

    /// `IPVS_CMD_SET_CONFIG` with `TIMEOUT_TCP`, `TIMEOUT_TCP_FIN` and `TIMEOUT_UDP` (u32 seconds each, top-level
    /// attributes), all three as libipvs sends them: the kernel reads the current values first and leaves those
    /// given as 0 unchanged.
    public static func setTimeouts(_ timeouts: IPVSTimeouts) -> IPVSRequest {
        IPVSRequest(.setConfig) { writer in
            writer.put(attr(IPVS_CMD_ATTR_TIMEOUT_TCP), u32: timeouts.tcp)
            writer.put(attr(IPVS_CMD_ATTR_TIMEOUT_TCP_FIN), u32: timeouts.tcpFin)
            writer.put(attr(IPVS_CMD_ATTR_TIMEOUT_UDP), u32: timeouts.udp)
        }
    }

    // MARK: attributes

    static func attr(_ value: some BinaryInteger) -> UInt16 { UInt16(value) }

    static func addressFamily(_ family: IPFamily) -> UInt16 { UInt16(family == .ipv4 ? AF_INET : AF_INET6) }

    /// An address as the kernel's `union nf_inet_addr`: 16 bytes, IPv4 in the first 4, in network order.
    static func addressBytes(_ address: IPAddress?) -> [UInt8] {
        address?.inetAddressBytes ?? [UInt8](repeating: 0, count: 16)
    }

    static func putIdentity(_ service: IPVSVirtualService, into writer: inout NetlinkAttributeWriter) {
        writer.put(attr(IPVS_SVC_ATTR_AF), u16: addressFamily(service.address?.family ?? .ipv4))
        if service.firewallMark != 0 {
            writer.put(attr(IPVS_SVC_ATTR_FWMARK), u32: service.firewallMark)
        } else {
            writer.put(attr(IPVS_SVC_ATTR_PROTOCOL), u16: service.protocolNumber)
            writer.put(attr(IPVS_SVC_ATTR_ADDR), bytes: addressBytes(service.address))
            writer.put(attr(IPVS_SVC_ATTR_PORT), u16NetworkOrder: service.port)
        }
    }

    static func putFull(_ server: IPVSVirtualServer, into writer: inout NetlinkAttributeWriter) {
        putIdentity(server.service, into: &writer)
        writer.put(attr(IPVS_SVC_ATTR_SCHED_NAME), string: server.scheduler.name)
        writer.put(
            attr(IPVS_SVC_ATTR_FLAGS),
            bytes: NetlinkAttributeWriter.hostOrder(server.flags.configurable.rawValue) + NetlinkAttributeWriter.hostOrder(UInt32.max))
        writer.put(attr(IPVS_SVC_ATTR_TIMEOUT), u32: server.timeout)
        writer.put(attr(IPVS_SVC_ATTR_NETMASK), u32: server.netmask)
    }

    static func putIdentity(_ id: IPVSRealServer.ID, into writer: inout NetlinkAttributeWriter) {
        writer.put(attr(IPVS_DEST_ATTR_ADDR_FAMILY), u16: addressFamily(id.address.family))
        writer.put(attr(IPVS_DEST_ATTR_ADDR), bytes: addressBytes(id.address))
        writer.put(attr(IPVS_DEST_ATTR_PORT), u16NetworkOrder: id.port)
    }

    static func putFull(_ realServer: IPVSRealServer, into writer: inout NetlinkAttributeWriter) {
        putIdentity(realServer.id, into: &writer)
        writer.put(attr(IPVS_DEST_ATTR_FWD_METHOD), u32: realServer.forwarding.rawValue)
        writer.put(attr(IPVS_DEST_ATTR_WEIGHT), u32: UInt32(bitPattern: realServer.weight))
        writer.put(attr(IPVS_DEST_ATTR_U_THRESH), u32: realServer.upperThreshold)
        writer.put(attr(IPVS_DEST_ATTR_L_THRESH), u32: realServer.lowerThreshold)
    }
}
