import CNetlink
import Glibc

/// A netlink socket (libnl) in the network namespace of the thread that opened it, sending message bodies built in
/// Swift and handing back the bodies of the kernel's answers.
///
/// Every `request` and `dump` is one netlink request; `requestCount` counts them, so callers can prove how much a
/// sync costs.
///
/// - Important: Not thread-safe, and bound to the namespace it was opened in: use it from one thread (a
///   `KernelThread`).
public final class NetlinkSocket {
    let pointer: OpaquePointer
    /// Requests and dumps sent so far.
    public private(set) var requestCount = 0

    /// Opens a socket of `protocolNumber` (`NETLINK_GENERIC`, `NETLINK_ROUTE`).
    public init(protocol protocolNumber: Int32) throws(NetlinkError) {
        var socket: OpaquePointer?
        let result = cnetlink_open(protocolNumber, &socket)
        guard result == 0, let socket else { throw NetlinkError(operation: "open a netlink socket", libnlCode: result) }
        pointer = socket
    }

    deinit { nl_socket_free(pointer) }

    /// The id of a generic-netlink family; nil when the kernel has none of that name.
    public func genericFamily(_ name: String) throws(NetlinkError) -> UInt16? {
        requestCount += 1
        let result = cnetlink_genl_family(pointer, name)
        if -result == NLE_OBJ_NOTFOUND { return nil }
        guard result >= 0 else { throw NetlinkError(operation: "resolve generic netlink family \(name)", libnlCode: result) }
        return UInt16(result)
    }

    /// Sends one message and waits for the kernel's acknowledgement.
    public func request(type: UInt16, flags: Int32 = 0, body: [UInt8], operation: @autoclosure () -> String) throws(NetlinkError) {
        requestCount += 1
        var kernelErrno: Int32 = 0
        let result = body.withUnsafeBytes { raw in
            cnetlink_request(pointer, Int32(type), flags, raw.baseAddress, raw.count, nil, nil, &kernelErrno)
        }
        guard result == 0 else { throw NetlinkError(operation: operation(), libnlCode: result, kernelErrno: kernelErrno) }
    }

    /// Sends a dump request and returns the body of every message of the answer.
    public func dump(type: UInt16, body: [UInt8], operation: @autoclosure () -> String) throws(NetlinkError) -> [[UInt8]] {
        requestCount += 1
        let collector = Collector()
        var kernelErrno: Int32 = 0
        let result = body.withUnsafeBytes { raw in
            cnetlink_request(
                pointer, Int32(type), NLM_F_DUMP, raw.baseAddress, raw.count,
                { payload, length, context in
                    guard let payload, let context else { return }
                    let bytes = Array(UnsafeRawBufferPointer(start: payload, count: length))
                    Unmanaged<Collector>.fromOpaque(context).takeUnretainedValue().messages.append(bytes)
                },
                Unmanaged.passUnretained(collector).toOpaque(), &kernelErrno)
        }
        guard result == 0 else { throw NetlinkError(operation: operation(), libnlCode: result, kernelErrno: kernelErrno) }
        return collector.messages
    }

    private final class Collector {
        var messages: [[UInt8]] = []
    }
}

extension NetlinkSocket {
    /// Sends an rtnetlink request (on a `NETLINK_ROUTE` socket) and waits for the kernel's acknowledgement.
    public func request(_ request: RouteNetlinkRequest, operation: @autoclosure () -> String) throws(NetlinkError) {
        try self.request(type: request.type, flags: request.flags, body: request.body, operation: operation())
    }
}
