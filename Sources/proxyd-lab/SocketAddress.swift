import Glibc

/// A numeric IPv4 or IPv6 socket address (no name resolution: the lab only uses literal addresses).
///
/// Printed as `IP:PORT`, with IPv6 in brackets (`[fd00:10:244::11]:8080`). An IPv4-mapped IPv6 address, which a
/// dual-stack socket reports for IPv4 peers, prints as the plain IPv4 address.
enum SocketAddress: CustomStringConvertible {
    case v4(sockaddr_in)
    case v6(sockaddr_in6)

    /// Parses a literal address; nil if `ip` is neither IPv4 nor IPv6 text.
    init?(ip: String, port: UInt16) {
        var v4 = sockaddr_in()
        if inet_pton(AF_INET, ip, &v4.sin_addr) == 1 {
            v4.sin_family = sa_family_t(AF_INET)
            v4.sin_port = port.bigEndian
            self = .v4(v4)
            return
        }
        var v6 = sockaddr_in6()
        // Accept `[::1]` as well as `::1`.
        let bare = ip.hasPrefix("[") && ip.hasSuffix("]") ? String(ip.dropFirst().dropLast()) : ip
        if inet_pton(AF_INET6, bare, &v6.sin6_addr) == 1 {
            v6.sin6_family = sa_family_t(AF_INET6)
            v6.sin6_port = port.bigEndian
            self = .v6(v6)
            return
        }
        return nil
    }

    /// Parses `IP:PORT` or `[IPv6]:PORT`.
    init?(hostPort text: String) {
        guard let colon = text.lastIndex(of: ":"), let port = UInt16(text[text.index(after: colon)...]) else {
            return nil
        }
        let host = String(text[..<colon])
        if !host.hasPrefix("["), host.contains(":") { return nil }  // IPv6 needs brackets before a port
        self.init(ip: host, port: port)
    }

    /// The wildcard address of a family (`0.0.0.0` or `::`) with a port.
    static func wildcard(family: Int32, port: UInt16) -> SocketAddress {
        if family == AF_INET {
            var v4 = sockaddr_in()
            v4.sin_family = sa_family_t(AF_INET)
            v4.sin_port = port.bigEndian
            return .v4(v4)
        }
        var v6 = sockaddr_in6()
        v6.sin6_family = sa_family_t(AF_INET6)
        v6.sin6_port = port.bigEndian
        return .v6(v6)
    }

    /// Reads an address the kernel filled in; nil for families other than IPv4/IPv6.
    init?(storage: sockaddr_storage) {
        var storage = storage
        switch Int32(storage.ss_family) {
        case AF_INET:
            self = withUnsafeBytes(of: &storage) { .v4($0.load(as: sockaddr_in.self)) }
        case AF_INET6:
            self = withUnsafeBytes(of: &storage) { .v6($0.load(as: sockaddr_in6.self)) }
        default:
            return nil
        }
    }

    var family: Int32 {
        switch self {
        case .v4: AF_INET
        case .v6: AF_INET6
        }
    }

    var port: UInt16 {
        get {
            switch self {
            case .v4(let a): UInt16(bigEndian: a.sin_port)
            case .v6(let a): UInt16(bigEndian: a.sin6_port)
            }
        }
        set {
            switch self {
            case .v4(var a):
                a.sin_port = newValue.bigEndian
                self = .v4(a)
            case .v6(var a):
                a.sin6_port = newValue.bigEndian
                self = .v6(a)
            }
        }
    }

    /// True for `0.0.0.0` and `::`.
    var isWildcard: Bool {
        switch self {
        case .v4(let a): a.sin_addr.s_addr == 0
        case .v6(var a): withUnsafeBytes(of: &a.sin6_addr) { $0.allSatisfy { $0 == 0 } }
        }
    }

    /// The address without the port, IPv4-mapped IPv6 shown as IPv4.
    var ipText: String {
        switch self {
        case .v4(let a):
            var address = a.sin_addr
            return Self.ntop(AF_INET, &address, length: Int(INET_ADDRSTRLEN))
        case .v6(var a):
            let bytes = withUnsafeBytes(of: &a.sin6_addr) { Array($0) }
            if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xff && bytes[11] == 0xff {
                return bytes[12...].map(String.init).joined(separator: ".")
            }
            var address = a.sin6_addr
            return Self.ntop(AF_INET6, &address, length: Int(INET6_ADDRSTRLEN))
        }
    }

    var description: String {
        let ip = ipText
        return ip.contains(":") ? "[\(ip)]:\(port)" : "\(ip):\(port)"
    }

    private static func ntop<T>(_ family: Int32, _ address: inout T, length: Int) -> String {
        var buffer = [CChar](repeating: 0, count: length)
        let converted = withUnsafeBytes(of: &address) { inet_ntop(family, $0.baseAddress, &buffer, socklen_t(length)) }
        guard converted != nil else { return "?" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Calls `body` with a `sockaddr` pointer and its length, for bind/connect/sendto.
    func withSockAddr<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) throws -> R) rethrows -> R {
        switch self {
        case .v4(var a):
            return try withUnsafePointer(to: &a) {
                try $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    try body($0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        case .v6(var a):
            return try withUnsafePointer(to: &a) {
                try $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    try body($0, socklen_t(MemoryLayout<sockaddr_in6>.size))
                }
            }
        }
    }
}

/// The local address a socket is bound to (`getsockname`).
func localAddress(of fd: Int32) -> SocketAddress? {
    var storage = sockaddr_storage()
    var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
    let result = withUnsafeMutablePointer(to: &storage) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    return result == 0 ? SocketAddress(storage: storage) : nil
}

/// Sets an integer socket option.
func setOption(_ fd: Int32, _ level: Int32, _ name: Int32, _ value: Int32, _ label: String) throws(SocketError) {
    var value = value
    try check("setsockopt(\(label))") { setsockopt(fd, level, name, &value, socklen_t(MemoryLayout<Int32>.size)) }
}
