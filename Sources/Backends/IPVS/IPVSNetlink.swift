import CNetlink
import Glibc
import ServiceModel

/// IPVS over generic netlink (libnl-genl) in the calling thread's network namespace: lists, adds, updates and
/// deletes virtual servers and real servers, one netlink request each.
///
/// The IPVS family is resolved once, when the client is made; a kernel without IPVS is reported then, with what
/// to load. Requests are built and answers read by the pure `IPVSRequest` / `IPVSReply`; this type only sends.
///
/// - Important: Not thread-safe, and bound to the namespace it was made in: use it from one thread (the
///   `IPVSDriver`'s kernel thread, or a short-lived tool such as `--cleanup`).
public final class IPVSNetlink {
    public typealias Failure = IPVSError

    private let socket: NetlinkSocket
    private let family: UInt16

    /// Connects and resolves the IPVS family.
    ///
    /// - Throws: `IPVSError.missingModule` (code `missingFromKernel`) when the kernel has no IPVS.
    public init() throws(IPVSError) {
        do {
            socket = try NetlinkSocket(protocol: NETLINK_GENERIC)
            guard let family = try socket.genericFamily(IPVS_GENL_NAME) else { throw IPVSError.missingModule }
            self.family = family
        } catch let error as IPVSError {
            throw error
        } catch let error as NetlinkError {
            throw IPVSError(.failed, "cannot open IPVS over netlink: \(error)")
        } catch {
            throw IPVSError(.failed, "cannot open IPVS over netlink: \(error)")
        }
    }

    /// Netlink requests sent so far (the family lookup, every change and every dump).
    public var requestCount: Int { socket.requestCount }

    /// Sends one change (add, update, delete) and waits for the kernel's acknowledgement.
    public func send(_ request: IPVSRequest, describing operation: @autoclosure () -> String) throws(IPVSError) {
        do {
            try socket.request(type: family, body: request.body, operation: operation())
        } catch {
            throw IPVSError(error)
        }
    }

    /// Sets IPVS's connection timeouts (`ipvsadm --set`) in this namespace.
    public func setTimeouts(_ timeouts: IPVSTimeouts) throws(IPVSError) {
        try send(.setTimeouts(timeouts), describing: "set IPVS's timeouts (\(timeouts))")
    }

    /// Every virtual server, of every family, as the kernel lists them.
    public func virtualServers() throws(IPVSError) -> [IPVSVirtualServer] {
        let messages: [[UInt8]]
        do {
            messages = try socket.dump(type: family, body: IPVSRequest.listVirtualServers.body, operation: "list IPVS virtual servers")
        } catch {
            throw IPVSError(error)
        }
        var servers: [IPVSVirtualServer] = []
        servers.reserveCapacity(messages.count)
        for message in messages { servers.append(try IPVSReply.virtualServer(from: message)) }
        return servers
    }

    /// The real servers of one virtual server, with their connection counts (none when it does not exist).
    public func realServers(of service: IPVSVirtualService) throws(IPVSError) -> [IPVSRealServerStatus] {
        let messages: [[UInt8]]
        do {
            messages = try socket.dump(
                type: family, body: IPVSRequest.listRealServers(of: service).body, operation: "list the real servers of \(service)")
        } catch {
            throw IPVSError(error)
        }
        var servers: [IPVSRealServerStatus] = []
        for message in messages {
            servers.append(try IPVSReply.realServer(from: message, family: service.address?.family ?? .ipv4))
        }
        return servers
    }

    /// Every virtual service (identity only).
    public func services() throws(IPVSError) -> [IPVSVirtualService] {
        try virtualServers().map(\.service)
    }

    /// Deletes a virtual service and its real servers.
    public func delete(_ service: IPVSVirtualService) throws(IPVSError) {
        try send(.deleteVirtualServer(service), describing: "delete IPVS virtual server \(service)")
    }
}
