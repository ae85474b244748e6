import ArgumentParser
import Foundation
import Glibc

/// `forward`: accepts TCP connections and splices each to a Unix-domain stream socket.
///
/// The test process runs HTTP servers (the fake API server) on Unix sockets in the root namespace; the file
/// system is shared across network namespaces, so a `forward` inside a lab namespace makes them reachable
/// over TCP there. Each connection gets two threads, one per direction; EOF in one direction is passed on
/// as a half-close, so request/response and long-lived watch streams both work.
struct Forward: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Forward TCP connections on ADDR:PORT to a Unix-domain socket.",
        discussion: "Prints `ready` on stdout once listening."
    )

    @Option(help: "The TCP address to listen on: IP:PORT or [IPv6]:PORT.")
    var listen: String

    @Option(help: "The Unix-domain stream socket to connect each accepted connection to.")
    var unix: String

    func validate() throws {
        guard SocketAddress(hostPort: listen) != nil else {
            throw ValidationError("--listen \"\(listen)\" is not IP:PORT or [IPv6]:PORT")
        }
        if unix.utf8.count >= MemoryLayout.size(ofValue: sockaddr_un().sun_path) {
            throw ValidationError("--unix path is longer than a Unix socket address allows (107 bytes): \(unix)")
        }
    }

    func run() throws {
        ParentWatchdog.start()
        signal(SIGPIPE, SIG_IGN)
        let address = SocketAddress(hostPort: listen)!
        let listener = try Listener(kind: .tcp, address: address, port: address.port)
        emit("ready")
        while true {
            let client = accept(listener.fd, nil, nil)
            if client < 0 {
                if errno != EINTR { log("accept on \(listen): \(String(cString: strerror(errno)))") }
                continue
            }
            let path = unix
            Thread.detachNewThread { Splice.run(client: client, unixPath: path) }
        }
    }
}

/// Copies bytes both ways between an accepted TCP connection and a new Unix-socket connection.
enum Splice {
    static func run(client: Int32, unixPath: String) {
        let upstream = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard upstream >= 0 else {
            log("socket(AF_UNIX): \(String(cString: strerror(errno)))")
            close(client)
            return
        }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            let bytes = Array(unixPath.utf8)
            raw.copyBytes(from: bytes.prefix(raw.count - 1))
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(upstream, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard connected == 0 else {
            log("connect to \(unixPath): \(String(cString: strerror(errno)))")
            close(upstream)
            close(client)
            return
        }
        let otherDirection = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            pump(from: upstream, to: client)
            otherDirection.signal()
        }
        pump(from: client, to: upstream)
        otherDirection.wait()
        close(upstream)
        close(client)
    }

    /// Copies until EOF or an error, then half-closes the destination.
    private static func pump(from source: Int32, to destination: Int32) {
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        copying: while true {
            let count = read(source, &buffer, buffer.count)
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            var offset = 0
            while offset < count {
                let written = buffer[offset..<count].withUnsafeBytes { send(destination, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                if written < 0 {
                    if errno == EINTR { continue }
                    break copying
                }
                offset += written
            }
        }
        shutdown(destination, Int32(SHUT_WR))
    }
}
