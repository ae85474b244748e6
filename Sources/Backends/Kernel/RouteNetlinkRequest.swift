import CNetlink
import Glibc
import ServiceModel

/// One rtnetlink request proxyd sends — create or delete a dummy interface, add or remove an address — as the type,
/// flags and bytes of a netlink message.
///
/// Pure, like `IPVSRequest`: the bytes are `struct ifinfomsg` / `struct ifaddrmsg` (`include/uapi/linux/rtnetlink.h`,
/// `if_addr.h`) followed by attributes, what `ip link add NAME type dummy` and `ip addr add ADDR/32 dev NAME` send.
public struct RouteNetlinkRequest: Sendable, Hashable {
    /// `RTM_NEWLINK`, `RTM_DELLINK`, `RTM_NEWADDR`, `RTM_DELADDR`.
    public var type: UInt16
    /// `NLM_F_CREATE`, `NLM_F_EXCL`, `NLM_F_REPLACE` (the socket adds `NLM_F_REQUEST | NLM_F_ACK`).
    public var flags: Int32
    public var body: [UInt8]

    /// Creates a dummy interface, administratively down (as kube-proxy leaves `kube-ipvs0`): addresses on it are
    /// local to the node in both families, and a down interface gets no IPv6 link-local address of its own.
    public static func addDummyLink(named name: String) -> RouteNetlinkRequest {
        var writer = NetlinkAttributeWriter(header: interfaceInfo(index: 0))
        writer.put(UInt16(IFLA_IFNAME), string: name)
        writer.nest(UInt16(IFLA_LINKINFO)) { $0.put(UInt16(IFLA_INFO_KIND), string: "dummy") }
        return RouteNetlinkRequest(type: UInt16(RTM_NEWLINK), flags: NLM_F_CREATE | NLM_F_EXCL, body: writer.bytes)
    }

    public static func deleteLink(named name: String) -> RouteNetlinkRequest {
        var writer = NetlinkAttributeWriter(header: interfaceInfo(index: 0))
        writer.put(UInt16(IFLA_IFNAME), string: name)
        return RouteNetlinkRequest(type: UInt16(RTM_DELLINK), flags: 0, body: writer.bytes)
    }

    /// Assigns `address` as a host address (/32, /128) to the interface; assigning one it already has succeeds
    /// (`NLM_F_REPLACE`). IPv6 addresses skip duplicate address detection (`IFA_F_NODAD`).
    public static func addAddress(_ address: IPAddress, interfaceIndex: UInt32) -> RouteNetlinkRequest {
        RouteNetlinkRequest(type: UInt16(RTM_NEWADDR), flags: NLM_F_CREATE | NLM_F_REPLACE, body: addressBody(address, interfaceIndex))
    }

    public static func deleteAddress(_ address: IPAddress, interfaceIndex: UInt32) -> RouteNetlinkRequest {
        RouteNetlinkRequest(type: UInt16(RTM_DELADDR), flags: 0, body: addressBody(address, interfaceIndex))
    }

    /// `struct ifinfomsg`: family AF_UNSPEC, type 0, the index, flags and change mask 0.
    static func interfaceInfo(index: Int32) -> [UInt8] {
        var writer = NetlinkAttributeWriter()
        writer.appendHostOrder(UInt8(AF_UNSPEC))
        writer.appendHostOrder(UInt8(0))
        writer.appendHostOrder(UInt16(0))
        writer.appendHostOrder(index)
        writer.appendHostOrder(UInt32(0))
        writer.appendHostOrder(UInt32(0))
        return writer.bytes
    }

    static func addressBody(_ address: IPAddress, _ interfaceIndex: UInt32) -> [UInt8] {
        var writer = NetlinkAttributeWriter()
        let isV4 = address.family == .ipv4
        writer.appendHostOrder(UInt8(isV4 ? AF_INET : AF_INET6))
        writer.appendHostOrder(UInt8(isV4 ? 32 : 128))
        writer.appendHostOrder(UInt8(isV4 ? 0 : IFA_F_NODAD))
        writer.appendHostOrder(UInt8(0))  // RT_SCOPE_UNIVERSE
        writer.appendHostOrder(interfaceIndex)
        let bytes = address.networkOrderBytes
        writer.put(UInt16(IFA_LOCAL), bytes: bytes)
        writer.put(UInt16(IFA_ADDRESS), bytes: bytes)
        return writer.bytes
    }
}
