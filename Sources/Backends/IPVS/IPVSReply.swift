import CNetlink
import Glibc
import ServiceModel

/// Reads the kernel's IPVS answers: the body of one message of a virtual-server or real-server dump (the
/// generic-netlink header, then `IPVS_CMD_ATTR_SERVICE` or `IPVS_CMD_ATTR_DEST`).
///
/// Pure. A message missing an attribute proxyd needs, or with a malformed one, is an error naming it.
public enum IPVSReply {
    /// The virtual server one message of `IPVSRequest.listVirtualServers` describes.
    public static func virtualServer(from body: [UInt8]) throws(IPVSError) -> IPVSVirtualServer {
        let attributes = try attributesOf(body, nested: IPVS_CMD_ATTR_SERVICE, what: "virtual server")
        func require<T>(_ value: T?, _ name: String) throws(IPVSError) -> T {
            guard let value else { throw IPVSError(.malformedAnswer, "IPVS listed a virtual server without \(name)") }
            return value
        }
        let af = try require(attributes.u16(IPVSRequest.attr(IPVS_SVC_ATTR_AF)), "IPVS_SVC_ATTR_AF")
        let firewallMark = attributes.u32(IPVSRequest.attr(IPVS_SVC_ATTR_FWMARK)) ?? 0
        let service: IPVSVirtualService
        if firewallMark != 0 {
            service = IPVSVirtualService(address: nil, protocolNumber: 0, port: 0, firewallMark: firewallMark)
        } else {
            let bytes = try require(attributes[IPVSRequest.attr(IPVS_SVC_ATTR_ADDR)], "IPVS_SVC_ATTR_ADDR")
            service = IPVSVirtualService(
                address: try address(bytes, family: af, of: "virtual server"),
                protocolNumber: try require(attributes.u16(IPVSRequest.attr(IPVS_SVC_ATTR_PROTOCOL)), "IPVS_SVC_ATTR_PROTOCOL"),
                port: try require(attributes.u16NetworkOrder(IPVSRequest.attr(IPVS_SVC_ATTR_PORT)), "IPVS_SVC_ATTR_PORT"))
        }
        let flags = try require(attributes[IPVSRequest.attr(IPVS_SVC_ATTR_FLAGS)], "IPVS_SVC_ATTR_FLAGS")
        guard flags.count >= 4 else { throw IPVSError(.malformedAnswer, "IPVS listed \(service) with \(flags.count) bytes of flags") }
        return IPVSVirtualServer(
            service: service,
            scheduler: IPVSScheduler(kernelName: try require(attributes.string(IPVSRequest.attr(IPVS_SVC_ATTR_SCHED_NAME)), "IPVS_SVC_ATTR_SCHED_NAME")),
            flags: IPVSServiceFlags(rawValue: NetlinkAttributes.hostOrder(UInt32.self, flags.prefix(4))),
            timeout: attributes.u32(IPVSRequest.attr(IPVS_SVC_ATTR_TIMEOUT)) ?? 0,
            netmask: attributes.u32(IPVSRequest.attr(IPVS_SVC_ATTR_NETMASK)) ?? 0)
    }

    /// The real server one message of `IPVSRequest.listRealServers(of:)` describes; `family` is the virtual
    /// server's, for kernels that do not send the real server's own (`IPVS_DEST_ATTR_ADDR_FAMILY`, Linux 4.10+).
    public static func realServer(from body: [UInt8], family: IPFamily) throws(IPVSError) -> IPVSRealServerStatus {
        let attributes = try attributesOf(body, nested: IPVS_CMD_ATTR_DEST, what: "real server")
        func require<T>(_ value: T?, _ name: String) throws(IPVSError) -> T {
            guard let value else { throw IPVSError(.malformedAnswer, "IPVS listed a real server without \(name)") }
            return value
        }
        let af = attributes.u16(IPVSRequest.attr(IPVS_DEST_ATTR_ADDR_FAMILY)) ?? IPVSRequest.addressFamily(family)
        let address = try address(
            try require(attributes[IPVSRequest.attr(IPVS_DEST_ATTR_ADDR)], "IPVS_DEST_ATTR_ADDR"), family: af, of: "real server")
        let port = try require(attributes.u16NetworkOrder(IPVSRequest.attr(IPVS_DEST_ATTR_PORT)), "IPVS_DEST_ATTR_PORT")
        let method = try require(attributes.u32(IPVSRequest.attr(IPVS_DEST_ATTR_FWD_METHOD)), "IPVS_DEST_ATTR_FWD_METHOD")
        guard let forwarding = IPVSRealServer.Forwarding(rawValue: method & 0x7) else {
            throw IPVSError(.malformedAnswer, "IPVS listed real server \(IPVSRealServer.ID(address, port)) with forwarding method \(method)")
        }
        let realServer = IPVSRealServer(
            address: address, port: port, forwarding: forwarding,
            weight: Int32(bitPattern: try require(attributes.u32(IPVSRequest.attr(IPVS_DEST_ATTR_WEIGHT)), "IPVS_DEST_ATTR_WEIGHT")),
            upperThreshold: attributes.u32(IPVSRequest.attr(IPVS_DEST_ATTR_U_THRESH)) ?? 0,
            lowerThreshold: attributes.u32(IPVSRequest.attr(IPVS_DEST_ATTR_L_THRESH)) ?? 0)
        return IPVSRealServerStatus(
            realServer: realServer,
            connections: IPVSConnectionCounts(
                active: attributes.u32(IPVSRequest.attr(IPVS_DEST_ATTR_ACTIVE_CONNS)) ?? 0,
                inactive: attributes.u32(IPVSRequest.attr(IPVS_DEST_ATTR_INACT_CONNS)) ?? 0,
                persistent: attributes.u32(IPVSRequest.attr(IPVS_DEST_ATTR_PERSIST_CONNS)) ?? 0))
    }

    static func attributesOf(_ body: [UInt8], nested type: some BinaryInteger, what: String) throws(IPVSError) -> NetlinkAttributes {
        guard body.count >= 4 else { throw IPVSError(.malformedAnswer, "IPVS sent a \(body.count)-byte message listing a \(what)") }
        do {
            let top = try NetlinkAttributes(parsing: body[4...])
            guard let nested = try top.nested(IPVSRequest.attr(type)) else {
                throw IPVSError(.malformedAnswer, "IPVS sent a message without the \(what) attribute")
            }
            return nested
        } catch let error as NetlinkAttributes.DecodingError {
            throw IPVSError(.malformedAnswer, "IPVS sent a malformed \(what): \(error)")
        } catch let error as IPVSError {
            throw error
        } catch {
            throw IPVSError(.malformedAnswer, "IPVS sent a malformed \(what): \(error)")
        }
    }

    static func address(_ bytes: ArraySlice<UInt8>, family: UInt16, of what: String) throws(IPVSError) -> IPAddress {
        let addressFamily: IPFamily? = Int32(family) == AF_INET ? .ipv4 : Int32(family) == AF_INET6 ? .ipv6 : nil
        guard let addressFamily, let address = IPAddress(inetAddressBytes: bytes, family: addressFamily) else {
            throw IPVSError(.malformedAnswer, "IPVS listed a \(what) with address family \(family) and \(bytes.count) address bytes")
        }
        return address
    }
}
