import ArgumentParser
import Foundation
import Glibc

/// `connect`: makes N fresh TCP connections or UDP exchanges and prints one JSON line per attempt.
///
/// Outcomes, as the kernel reports them to a client:
/// - `reply`: the server answered (its line is in `reply`);
/// - `refused`: ECONNREFUSED — a TCP RST, or an ICMP port-unreachable (TCP or, on the connected UDP socket, UDP);
///   both are what an nft `reject` produces;
/// - `timeout`: no answer before the deadline (an nft `drop`, or nobody routes the reply back);
/// - `unreachable`: EHOSTUNREACH / ENETUNREACH / EACCES (no route, or an ICMP host/net unreachable or
///   admin-prohibited);
/// - `error`: anything else, with the reason in `error`.
///
/// Every attempt binds a source port not used before in this run, so each attempt is a new conntrack entry
/// (a reused UDP 5-tuple would hit the previous attempt's entry and its NAT decision).
struct Connect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Connect to HOST PORT and print one JSON line per attempt.",
        discussion: """
            Each line: {"outcome":"reply|refused|timeout|unreachable|error","reply":"NAME PEER",\
            "local":"IP:PORT","error":"…"}. The exit status is 0 whenever every attempt was reported,
            whatever its outcome.
            """
    )

    enum Proto: String, EnumerableFlag {
        case tcp, udp
    }

    @Flag(help: "The transport protocol.")
    var proto: Proto

    @Argument(help: "The IPv4 or IPv6 address to connect to (numeric).")
    var host: String

    @Argument(help: "The port to connect to.")
    var port: UInt16

    @Option(name: .customLong("timeout-ms"), help: "Deadline for each attempt, in milliseconds.")
    var timeoutMilliseconds: Int = 1000

    @Option(help: "Send from this local address.")
    var source: String?

    @Option(help: "How many attempts, each a fresh connection from a fresh source port.")
    var count: Int = 1

    @Option(
        name: .customLong("hold-until"),
        help: "TCP: keep the one connection open and send `ping N` every --interval-ms, printing each answer, until this file exists (needs a --tcp-echo server).")
    var holdUntil: String?

    @Option(name: .customLong("interval-ms"), help: "Pause between pings of --hold-until, in milliseconds.")
    var intervalMilliseconds: Int = 50

    @Flag(
        name: .customLong("close-with-reset"),
        help: "With --hold-until: end the connection with a TCP reset (SO_LINGER 0) instead of a FIN, so no TIME_WAIT follows.")
    var closeWithReset = false

    func validate() throws {
        guard SocketAddress(ip: host, port: port) != nil else {
            throw ValidationError("HOST \"\(host)\" is not a numeric IPv4 or IPv6 address")
        }
        if let source {
            guard let local = SocketAddress(ip: source, port: 0) else {
                throw ValidationError("--source \"\(source)\" is not a numeric IPv4 or IPv6 address")
            }
            guard local.family == SocketAddress(ip: host, port: port)!.family else {
                throw ValidationError("--source \(source) and HOST \(host) are of different IP families")
            }
        }
        if port == 0 { throw ValidationError("PORT must be 1…65535") }
        if count < 1 { throw ValidationError("--count must be at least 1") }
        if timeoutMilliseconds < 1 { throw ValidationError("--timeout-ms must be at least 1") }
        if holdUntil != nil, proto != .tcp || count != 1 {
            throw ValidationError("--hold-until holds one TCP connection; use it with --tcp and without --count")
        }
        if intervalMilliseconds < 1 { throw ValidationError("--interval-ms must be at least 1") }
        if closeWithReset && holdUntil == nil { throw ValidationError("--close-with-reset ends a --hold-until connection; give --hold-until") }
    }

    func run() throws {
        signal(SIGPIPE, SIG_IGN)
        let remote = SocketAddress(ip: host, port: port)!
        let local = source.flatMap { SocketAddress(ip: $0, port: 0) } ?? .wildcard(family: remote.family, port: 0)
        var ports = SourcePorts()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        for _ in 0..<count {
            let report = attempt(remote: remote, local: local, ports: &ports)
            emit(String(decoding: try encoder.encode(report), as: UTF8.self))
        }
    }

    private func attempt(remote: SocketAddress, local: SocketAddress, ports: inout SourcePorts) -> AttemptReport {
        let deadline = Deadline(milliseconds: timeoutMilliseconds)
        let type = proto == .tcp ? SOCK_STREAM : SOCK_DGRAM
        let fd = socket(remote.family, Int32(type.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return .failure("socket", errno, local: nil) }
        defer { close(fd) }
        do {
            try ports.bind(fd, to: local)
        } catch {
            return AttemptReport(outcome: "error", error: error.description)
        }
        return proto == .tcp ? tcp(fd, remote, deadline) : udp(fd, remote, deadline)
    }

    private func tcp(_ fd: Int32, _ remote: SocketAddress, _ deadline: Deadline) -> AttemptReport {
        let connectStarted = ContinuousClock.now
        let started = remote.withSockAddr { Glibc.connect(fd, $0, $1) }
        let local = localAddress(of: fd)?.description
        if started != 0 && errno != EINPROGRESS {
            return .failure("connect to \(remote)", errno, local: local)
        }
        if started != 0 {
            // An ICMP error that arrives while connect() still holds the socket lock (on veth the whole round trip
            // can run inside the syscall) is only kept as a "soft" error; the kernel acts on it at the SYN
            // retransmission a second later. SO_ERROR reports it: check right after connect() and at the deadline.
            if let code = pendingError(fd) { return .failure("connect to \(remote)", code, local: local) }
            switch wait(fd, for: POLLOUT, until: deadline) {
            case .timedOut:
                if let code = pendingError(fd) { return .failure("connect to \(remote)", code, local: local) }
                return AttemptReport(outcome: "timeout", local: local, error: "no answer to SYN within \(timeoutMilliseconds) ms")
            case .failed(let code):
                return .failure("poll", code, local: local)
            case .ready:
                if let code = pendingError(fd) { return .failure("connect to \(remote)", code, local: local) }
            }
        }
        let connectedAfter = ContinuousClock.now - connectStarted
        if holdUntil != nil { return hold(fd, remote, local: local) }
        // Connected: the server writes one line and closes.
        var reply: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 512)
        while true {
            switch wait(fd, for: POLLIN, until: deadline) {
            case .timedOut:
                return AttemptReport(outcome: "timeout", local: local, error: "connected, but no reply within \(timeoutMilliseconds) ms")
            case .failed(let code):
                return .failure("poll", code, local: local)
            case .ready:
                let count = read(fd, &buffer, buffer.count)
                if count < 0 {
                    if errno == EAGAIN || errno == EINTR { continue }
                    return .failure("read from \(remote)", errno, local: local)
                }
                if count == 0 {
                    var report = AttemptReport.reply(reply, local: local)
                    let (seconds, attoseconds) = connectedAfter.components
                    report.micros = Int(seconds) * 1_000_000 + Int(attoseconds / 1_000_000_000_000)
                    return report
                }
                reply += buffer[..<count]
            }
        }
    }

    /// --hold-until: reads the greeting, prints it, then pings over the same connection until the file exists.
    /// Each answer is printed as it comes; the first failure ends the run and is the returned report.
    private func hold(_ fd: Int32, _ remote: SocketAddress, local: String?) -> AttemptReport {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var pending: [UInt8] = []
        var sequence = 0
        while true {
            switch readLine(fd, &pending, Deadline(milliseconds: timeoutMilliseconds)) {
            case .failure(let failure): return failure.report
            case .success(let line):
                let report = AttemptReport.reply(line, local: local)
                if let path = holdUntil, access(path, F_OK) == 0 {
                    if closeWithReset {
                        // close() then sends RST: the connection ends at once on both sides, without TIME_WAIT.
                        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
                        _ = setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
                    }
                    return report
                }
                emit(String(decoding: (try? encoder.encode(report)) ?? Data(), as: UTF8.self))
            }
            if sequence > 0 { usleep(useconds_t(intervalMilliseconds * 1000)) }  // the client's traffic cadence
            sequence += 1
            let ping = Array("ping \(sequence)\n".utf8)
            if send(fd, ping, ping.count, Int32(MSG_NOSIGNAL)) != ping.count {
                return .failure("send to \(remote)", errno, local: local)
            }
        }
    }

    private func readLine(_ fd: Int32, _ pending: inout [UInt8], _ deadline: Deadline) -> Result<[UInt8], AttemptFailure> {
        var buffer = [UInt8](repeating: 0, count: 512)
        while true {
            if let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                let line = Array(pending[...newline])
                pending.removeFirst(newline + 1)
                return .success(line)
            }
            switch wait(fd, for: POLLIN, until: deadline) {
            case .timedOut:
                return .failure(AttemptFailure(AttemptReport(outcome: "timeout", error: "no answer within \(timeoutMilliseconds) ms")))
            case .failed(let code):
                return .failure(AttemptFailure(.failure("poll", code, local: nil)))
            case .ready:
                let count = recv(fd, &buffer, buffer.count, 0)
                if count == 0 { return .failure(AttemptFailure(AttemptReport(outcome: "error", error: "connection closed"))) }
                if count < 0 {
                    if errno == EAGAIN || errno == EINTR { continue }
                    return .failure(AttemptFailure(.failure("receive", errno, local: nil)))
                }
                pending += buffer[..<count]
            }
        }
    }

    private func udp(_ fd: Int32, _ remote: SocketAddress, _ deadline: Deadline) -> AttemptReport {
        // Connected, so the kernel reports ICMP errors (port unreachable → ECONNREFUSED) on this socket.
        if remote.withSockAddr({ Glibc.connect(fd, $0, $1) }) != 0 {
            return .failure("connect to \(remote)", errno, local: localAddress(of: fd)?.description)
        }
        let local = localAddress(of: fd)?.description
        let probe = Array("proxyd-lab\n".utf8)
        if send(fd, probe, probe.count, 0) < 0 {
            return .failure("send to \(remote)", errno, local: local)
        }
        var buffer = [UInt8](repeating: 0, count: 2048)
        while true {
            switch wait(fd, for: POLLIN, until: deadline) {
            case .timedOut:
                return AttemptReport(outcome: "timeout", local: local, error: "no reply within \(timeoutMilliseconds) ms")
            case .failed(let code):
                return .failure("poll", code, local: local)
            case .ready:
                let count = recv(fd, &buffer, buffer.count, 0)
                if count < 0 {
                    if errno == EAGAIN || errno == EINTR { continue }
                    return .failure("receive from \(remote)", errno, local: local)
                }
                return .reply(Array(buffer[..<count]), local: local)
            }
        }
    }

    /// The socket's pending error (hard, else soft), cleared by reading it; nil if none.
    private func pendingError(_ fd: Int32) -> Int32? {
        var code: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_ERROR, &code, &length) == 0 else { return errno }
        return code == 0 ? nil : code
    }

    private enum WaitResult { case ready, timedOut, failed(Int32) }

    private func wait(_ fd: Int32, for event: Int32, until deadline: Deadline) -> WaitResult {
        while true {
            let remaining = deadline.remainingMilliseconds
            if remaining <= 0 { return .timedOut }
            var entry = pollfd(fd: fd, events: Int16(event), revents: 0)
            let result = poll(&entry, 1, Int32(remaining))
            if result < 0 {
                if errno == EINTR { continue }
                return .failed(errno)
            }
            if result == 0 { continue }  // re-check the deadline; poll may wake early
            return .ready  // readable, writable, or an error (POLLERR): the next call reports which
        }
    }
}

/// A failed read of --hold-until, carrying its report.
struct AttemptFailure: Error {
    var report: AttemptReport
    init(_ report: AttemptReport) { self.report = report }
}

/// One attempt's result, as printed.
struct AttemptReport: Encodable {
    var outcome: String
    var reply: String?
    var local: String?
    var error: String?
    /// TCP: microseconds from connect() to established (the first packet's round trip through the rules).
    var micros: Int?

    static func reply(_ bytes: [UInt8], local: String?) -> AttemptReport {
        var text = String(decoding: bytes, as: UTF8.self)
        while text.hasSuffix("\n") || text.hasSuffix("\r") { text.removeLast() }
        if text.isEmpty {
            return AttemptReport(outcome: "error", local: local, error: "connection closed without a reply")
        }
        return AttemptReport(outcome: "reply", reply: text, local: local)
    }

    /// Classifies an errno the way a client application would see it.
    static func failure(_ operation: String, _ code: Int32, local: String?) -> AttemptReport {
        let message = SocketError(operation: operation, code: code).description
        let outcome: String = switch code {
        case ECONNREFUSED: "refused"
        case ETIMEDOUT: "timeout"
        // EACCES: Linux's errno for ICMPv6 "administratively prohibited" (ICMPv4's is EHOSTUNREACH).
        case EHOSTUNREACH, ENETUNREACH, EACCES: "unreachable"
        default: "error"
        }
        return AttemptReport(outcome: outcome, local: local, error: message)
    }
}

/// A monotonic deadline for one attempt.
struct Deadline {
    private let end: ContinuousClock.Instant

    init(milliseconds: Int) { end = .now.advanced(by: .milliseconds(milliseconds)) }

    var remainingMilliseconds: Int {
        let left = ContinuousClock.now.duration(to: end)
        let (seconds, attoseconds) = left.components
        return max(0, Int(seconds) * 1000 + Int((attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000))
    }
}

/// Picks a source port for every attempt that no earlier attempt of this run used.
struct SourcePorts {
    private var used: Set<UInt16> = []
    private var generator = SystemRandomNumberGenerator()
    private let range: ClosedRange<UInt16>

    init() {
        // The namespace's ephemeral range: ports the kernel would hand out itself, so no server listens there.
        let text = (try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8)) ?? ""
        let bounds = text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).compactMap { UInt16($0) }
        range = bounds.count == 2 && bounds[0] < bounds[1] ? bounds[0]...bounds[1] : 32768...60999
    }

    mutating func bind(_ fd: Int32, to local: SocketAddress) throws(SocketError) {
        var address = local
        var lastError: Int32 = EADDRINUSE
        for _ in 0..<64 {
            let port = UInt16.random(in: range, using: &generator)
            if used.contains(port) { continue }
            address.port = port
            if address.withSockAddr({ Glibc.bind(fd, $0, $1) }) == 0 {
                used.insert(port)
                return
            }
            lastError = errno
            if lastError != EADDRINUSE { break }
        }
        throw SocketError(operation: "bind a fresh source port on \(local.ipText)", code: lastError)
    }
}
