import ArgumentParser
import Glibc

/// `serve`: answers every TCP connection and every UDP datagram with `NAME PEER_IP:PEER_PORT\n`.
///
/// TCP connections are closed right after the line, so a client reads until EOF. UDP replies leave from the
/// address the datagram was sent to (IP_PKTINFO / IPV6_PKTINFO), so a client's connected socket accepts them
/// even on a host with several addresses. Prints `ready` once every socket listens.
struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Answer TCP connections and UDP datagrams with this server's name and the peer it saw.",
        discussion: """
            Each reply is one line: `NAME PEER_IP:PEER_PORT` (IPv6 peers in brackets). The peer is what the
            kernel delivered: after proxyd's DNAT and masquerade, it tells whether the source was rewritten.
            Prints `ready` on stdout once all sockets listen.
            """
    )

    @Option(help: "The name to answer with (one word, e.g. the pod's name).")
    var name: String

    @Option(name: .customLong("tcp"), help: "A TCP port to answer on (repeatable).")
    var tcpPorts: [UInt16] = []

    @Option(name: .customLong("udp"), help: "A UDP port to answer on (repeatable).")
    var udpPorts: [UInt16] = []

    @Option(
        name: .customLong("tcp-echo"),
        help: "A TCP port whose connections stay open: the line first, then every line the client sends comes back as `NAME LINE` (repeatable).")
    var tcpEchoPorts: [UInt16] = []

    @Option(help: "Listen on this address only. Default: :: dual-stack, which accepts IPv4 and IPv6.")
    var bind: String?

    func validate() throws {
        if tcpPorts.isEmpty && udpPorts.isEmpty && tcpEchoPorts.isEmpty {
            throw ValidationError("give at least one --tcp or --udp port")
        }
        if (tcpPorts + udpPorts + tcpEchoPorts).contains(0) {
            throw ValidationError("port 0 is not a port to serve on")
        }
        if name.isEmpty || name.contains(where: { $0.isWhitespace }) {
            throw ValidationError("--name must be one word, got \"\(name)\"")
        }
        if let bind, SocketAddress(ip: bind, port: 0) == nil {
            throw ValidationError("--bind \"\(bind)\" is not an IPv4 or IPv6 address")
        }
    }

    func run() throws {
        ParentWatchdog.start()
        signal(SIGPIPE, SIG_IGN)
        let base = bind.flatMap { SocketAddress(ip: $0, port: 0) } ?? .wildcard(family: AF_INET6, port: 0)

        var listeners: [Listener] = []
        for port in tcpPorts { listeners.append(try Listener(kind: .tcp, address: base, port: port)) }
        for port in udpPorts { listeners.append(try Listener(kind: .udp, address: base, port: port)) }
        for port in tcpEchoPorts { listeners.append(try Listener(kind: .tcp, address: base, port: port)) }
        let echoListeners = Set(listeners.suffix(tcpEchoPorts.count).map(\.fd))
        emit("ready")

        var pollSet = listeners.map { pollfd(fd: $0.fd, events: Int16(POLLIN), revents: 0) }
        // Held connections of --tcp-echo ports, polled after the listeners.
        var held: [Int32] = []
        while true {
            let all = pollSet + held.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            var entries = all
            let ready = poll(&entries, nfds_t(entries.count), -1)
            if ready < 0 {
                if errno == EINTR { continue }
                throw SocketError(operation: "poll", code: errno)
            }
            var closed: Set<Int32> = []
            for index in entries.indices where entries[index].revents != 0 {
                if index < listeners.count {
                    let listener = listeners[index]
                    switch listener.kind {
                    case .tcp where echoListeners.contains(listener.fd):
                        if let fd = holdConnection(listener) { held.append(fd) }
                    case .tcp: answerConnection(listener)
                    case .udp: answerDatagram(listener)
                    }
                } else if !echo(entries[index].fd) {
                    closed.insert(entries[index].fd)
                }
            }
            for fd in closed { close(fd) }
            held.removeAll { closed.contains($0) }
            pollSet = pollSet.map { pollfd(fd: $0.fd, events: $0.events, revents: 0) }
        }
    }

    /// Accepts a connection that stays open: writes the line and returns the socket to echo on.
    private func holdConnection(_ listener: Listener) -> Int32? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let fd = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { accept(listener.fd, $0, &length) }
        }
        guard fd >= 0 else {
            log("accept on tcp port \(listener.port): \(String(cString: strerror(errno)))")
            return nil
        }
        let line = reply(to: SocketAddress(storage: storage))
        _ = line.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        return fd
    }

    /// Answers what a held connection sent with `NAME DATA`; false when the client closed or failed.
    private func echo(_ fd: Int32) -> Bool {
        var buffer = [UInt8](repeating: 0, count: 2048)
        let count = recv(fd, &buffer, buffer.count, 0)
        if count <= 0 { return false }
        let answer = Array("\(name) ".utf8) + buffer[..<count]
        return answer.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } == answer.count
    }

    private func reply(to peer: SocketAddress?) -> [UInt8] {
        Array("\(name) \(peer?.description ?? "?")\n".utf8)
    }

    /// Accepts one connection, writes the line, closes. Errors affect only that connection.
    private func answerConnection(_ listener: Listener) {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let fd = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { accept(listener.fd, $0, &length) }
        }
        guard fd >= 0 else {
            log("accept on tcp port \(listener.port): \(String(cString: strerror(errno)))")
            return
        }
        defer { close(fd) }
        let line = reply(to: SocketAddress(storage: storage))
        let sent = line.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        if sent != line.count {
            log("reply on tcp port \(listener.port): \(String(cString: strerror(errno)))")
        }
    }

    /// Receives one datagram and answers it from the address it was sent to.
    private func answerDatagram(_ listener: Listener) {
        var peer = sockaddr_storage()
        var payload = [UInt8](repeating: 0, count: 2048)
        let control = ControlBuffer()
        let received: Int = payload.withUnsafeMutableBytes { data in
            var iov = iovec(iov_base: data.baseAddress, iov_len: data.count)
            return withUnsafeMutablePointer(to: &peer) { peerPointer in
                withUnsafeMutablePointer(to: &iov) { iovPointer in
                    var message = msghdr()
                    message.msg_name = UnsafeMutableRawPointer(peerPointer)
                    message.msg_namelen = socklen_t(MemoryLayout<sockaddr_storage>.size)
                    message.msg_iov = iovPointer
                    message.msg_iovlen = 1
                    message.msg_control = control.pointer
                    message.msg_controllen = control.capacity
                    let count = recvmsg(listener.fd, &message, 0)
                    control.length = message.msg_controllen
                    return count
                }
            }
        }
        guard received >= 0 else {
            log("receive on udp port \(listener.port): \(String(cString: strerror(errno)))")
            return
        }
        let replySource = control.packetInfo()
        let line = reply(to: SocketAddress(storage: peer))
        let answer = ControlBuffer()
        if let replySource { answer.setPacketInfo(replySource) }
        let peerLength = Int32(peer.ss_family) == AF_INET
            ? socklen_t(MemoryLayout<sockaddr_in>.size) : socklen_t(MemoryLayout<sockaddr_in6>.size)
        let sent: Int = line.withUnsafeBytes { data in
            var iov = iovec(iov_base: UnsafeMutableRawPointer(mutating: data.baseAddress), iov_len: data.count)
            return withUnsafeMutablePointer(to: &peer) { peerPointer in
                withUnsafeMutablePointer(to: &iov) { iovPointer in
                    var message = msghdr()
                    message.msg_name = UnsafeMutableRawPointer(peerPointer)
                    message.msg_namelen = peerLength
                    message.msg_iov = iovPointer
                    message.msg_iovlen = 1
                    if answer.length > 0 {
                        message.msg_control = answer.pointer
                        message.msg_controllen = answer.length
                    }
                    return sendmsg(listener.fd, &message, Int32(MSG_NOSIGNAL))
                }
            }
        }
        if sent != line.count {
            log("reply on udp port \(listener.port): \(String(cString: strerror(errno)))")
        }
    }
}

/// One listening TCP socket or bound UDP socket.
struct Listener {
    enum Kind: String { case tcp, udp }

    let kind: Kind
    let fd: Int32
    let port: UInt16

    init(kind: Kind, address: SocketAddress, port: UInt16) throws(SocketError) {
        var address = address
        address.port = port
        let what = "\(kind) \(address)"
        let type = kind == .tcp ? SOCK_STREAM : SOCK_DGRAM
        let fd = try check("socket for \(what)") { socket(address.family, Int32(type.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0) }
        do throws(SocketError) {
            try setOption(fd, SOL_SOCKET, SO_REUSEADDR, 1, "SO_REUSEADDR")
            if address.family == AF_INET6 {
                // A wildcard IPv6 socket serves IPv4 too, whatever net.ipv6.bindv6only says.
                try setOption(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, address.isWildcard ? 0 : 1, "IPV6_V6ONLY")
            }
            if kind == .udp {
                if address.family == AF_INET6 {
                    // Also reported for IPv4 datagrams on a dual-stack socket, as a v4-mapped address.
                    try setOption(fd, Int32(IPPROTO_IPV6), IPV6_RECVPKTINFO, 1, "IPV6_RECVPKTINFO")
                } else {
                    try setOption(fd, Int32(IPPROTO_IP), IP_PKTINFO, 1, "IP_PKTINFO")
                }
            }
            try check("bind \(what)") { address.withSockAddr { Glibc.bind(fd, $0, $1) } }
            if kind == .tcp {
                try check("listen \(what)") { listen(fd, 128) }
            }
        } catch {
            close(fd)
            throw error
        }
        self.kind = kind
        self.fd = fd
        self.port = port
    }
}
