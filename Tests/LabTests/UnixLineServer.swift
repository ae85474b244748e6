import Foundation
import Glibc

/// A Unix-domain stream server in the test process that answers every connection with one line and closes —
/// the stand-in for the fake API server that `proxyd-lab forward` makes reachable from lab namespaces.
final class UnixLineServer: Sendable {
    let path: String
    private let fd: Int32

    init(reply: String) throws {
        // sun_path holds 107 bytes: keep the path short.
        let path = "/tmp/pxl-test-\(UInt32.random(in: 0...UInt32.max)).sock"
        unlink(path)
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0, listen(fd, 16) == 0 else {
            let code = errno
            close(fd)
            throw POSIXError(POSIXErrorCode(rawValue: code) ?? .EIO)
        }
        self.fd = fd
        self.path = path
        let line = Array((reply + "\n").utf8)
        // Blocking accept on a thread of its own, never on the concurrency pool.
        Thread.detachNewThread {
            while true {
                let client = accept(fd, nil, nil)
                if client < 0 {
                    if errno == EINTR { continue }
                    return  // shut down by stop()
                }
                _ = line.withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                close(client)
            }
        }
    }

    func stop() {
        shutdown(fd, Int32(SHUT_RDWR))  // wakes the blocked accept
        close(fd)
        unlink(path)
    }
}
