import CConntrack
import Glibc
import ServiceModel

/// A ctnetlink socket: dumps conntrack entries (narrowed in the kernel) and deletes single entries.
///
/// - Important: Not thread-safe; `ConntrackReconciler` uses it on its kernel thread only. The socket belongs to
///   the network namespace of the thread that opened it.
final class ConntrackSocket {
    private let socket: OpaquePointer
    private let portID: UInt32
    private var sequence: UInt32
    /// Large enough for any dump batch the kernel sends (it fills at most a few pages per message batch).
    private var buffer = [UInt8](repeating: 0, count: 1 << 16)

    init() throws(ConntrackError) {
        guard let socket = mnl_socket_open(NETLINK_NETFILTER) else {
            throw ConntrackError("cannot open a netfilter netlink socket: \(Self.reason(errno))")
        }
        if mnl_socket_bind(socket, 0, pid_t(MNL_SOCKET_AUTOPID)) < 0 {
            let code = errno
            mnl_socket_close(socket)
            throw ConntrackError("cannot bind the netfilter netlink socket: \(Self.reason(code))")
        }
        self.socket = socket
        portID = mnl_socket_get_portid(socket)
        sequence = UInt32(truncatingIfNeeded: time(nil))
    }

    deinit { mnl_socket_close(socket) }

    /// An entry read from a dump, with what names it exactly in a delete request (tuple, zone, ID).
    struct Entry {
        var raw: cconntrack_flow
        var flow: ConntrackFlow
    }

    /// The entries of `family` and `protocol` whose original destination is `address` (any when nil) and `port`
    /// (any when nil), for which `keep` says true. The kernel narrows the dump; `keep` decides.
    func dump(
        family: IPFamily, protocol: TransportProtocol, address: IPAddress?, port: UInt16?,
        keep: @escaping (ConntrackFlow) -> Bool
    ) throws(ConntrackError) -> [Entry] {
        sequence &+= 1
        let seq = sequence
        // The kernel's IPv6 address comparison in dump filters is inverted (ctnetlink_filter_match_tuple tests
        // `!ipv6_addr_cmp`, so a filtered IPv6 dump returns every entry *except* those to the address): narrow IPv6
        // dumps by protocol and port only and let `keep` check the address.
        let address = family == .ipv4 ? address : nil
        var addressBytes = address?.inetAddressBytes ?? [UInt8](repeating: 0, count: 16)
        let length: Int = buffer.withUnsafeMutableBytes { raw in
            addressBytes.withUnsafeMutableBufferPointer { addressPointer in
                let header = cconntrack_put_dump_request(
                    raw.baseAddress, seq, UInt8(family == .ipv4 ? AF_INET : AF_INET6), `protocol`.protocolNumber,
                    address == nil ? 0 : 1, addressPointer.baseAddress, port == nil ? 0 : 1, port ?? 0)!
                return Int(header.pointee.nlmsg_len)
            }
        }
        try send(length, what: "dump conntrack entries")
        let collector = DumpCollector(keep: keep)
        let context = Unmanaged.passUnretained(collector).toOpaque()
        while true {
            let received = try receive(what: "dump conntrack entries")
            let result = buffer.withUnsafeMutableBytes { raw in
                mnl_cb_run(raw.baseAddress, received, seq, portID, { header, data in
                    guard let header, let data else { return MNL_CB_ERROR }
                    let collector = Unmanaged<DumpCollector>.fromOpaque(data).takeUnretainedValue()
                    return collector.take(header)
                }, context)
            }
            if result == MNL_CB_ERROR { throw ConntrackError("dump conntrack entries: \(Self.reason(errno))") }
            if result == MNL_CB_STOP { return collector.entries }
        }
    }

    /// Deletes one entry; false when it was already gone.
    func delete(_ entry: Entry) throws(ConntrackError) -> Bool {
        sequence &+= 1
        let seq = sequence
        var raw = entry.raw
        let length = buffer.withUnsafeMutableBytes { buffer in
            Int(cconntrack_put_delete_request(buffer.baseAddress, seq, &raw).pointee.nlmsg_len)
        }
        try send(length, what: "delete \(entry.flow)")
        while true {
            let received = try receive(what: "delete \(entry.flow)")
            let result = buffer.withUnsafeMutableBytes { raw in
                mnl_cb_run(raw.baseAddress, received, seq, portID, nil, nil)
            }
            if result == MNL_CB_ERROR {
                let code = errno
                if code == ENOENT { return false }  // expired or deleted since the dump
                throw ConntrackError("delete \(entry.flow): \(Self.reason(code))")
            }
            if result == MNL_CB_STOP { return true }
        }
    }

    private func send(_ length: Int, what: String) throws(ConntrackError) {
        let sent = buffer.withUnsafeBytes { mnl_socket_sendto(socket, $0.baseAddress, length) }
        if sent < 0 { throw ConntrackError("\(what): sending to the kernel: \(Self.reason(errno))") }
    }

    private func receive(what: String) throws(ConntrackError) -> Int {
        while true {
            let received = buffer.withUnsafeMutableBytes { mnl_socket_recvfrom(socket, $0.baseAddress, $0.count) }
            if received >= 0 { return received }
            if errno == EINTR { continue }
            throw ConntrackError("\(what): reading the kernel's answer: \(Self.reason(errno))")
        }
    }

    /// Receives dump messages on behalf of the C callback.
    private final class DumpCollector {
        let keep: (ConntrackFlow) -> Bool
        var entries: [Entry] = []

        init(keep: @escaping (ConntrackFlow) -> Bool) { self.keep = keep }

        func take(_ header: UnsafePointer<nlmsghdr>) -> Int32 {
            var raw = cconntrack_flow()
            // Not an IPv4/IPv6 entry with both tuples: not ours to judge.
            guard cconntrack_flow_parse(header, &raw) == 0, let flow = ConntrackSocket.flow(raw) else { return MNL_CB_OK }
            if keep(flow) { entries.append(Entry(raw: raw, flow: flow)) }
            return MNL_CB_OK
        }
    }

    static func flow(_ raw: cconntrack_flow) -> ConntrackFlow? {
        let family: IPFamily
        switch Int32(raw.family) {
        case AF_INET: family = .ipv4
        case AF_INET6: family = .ipv6
        default: return nil
        }
        func address(_ bytes: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8)) -> IPAddress? {
            withUnsafeBytes(of: bytes) { IPAddress(inetAddressBytes: $0, family: family) }
        }
        guard let originalSource = address(raw.orig_src), let originalDestination = address(raw.orig_dst),
            let replySource = address(raw.repl_src), let replyDestination = address(raw.repl_dst)
        else { return nil }
        return ConntrackFlow(
            family: family, protocolNumber: raw.l4proto,
            original: .init(
                source: originalSource, destination: originalDestination, sourcePort: raw.orig_sport,
                destinationPort: raw.orig_dport),
            reply: .init(
                source: replySource, destination: replyDestination, sourcePort: raw.repl_sport,
                destinationPort: raw.repl_dport))
    }

    static func reason(_ code: Int32) -> String { String(cString: strerror(code)) }
}
