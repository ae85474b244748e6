import Backends
import Glibc

/// TCP connections that send half a request head and then nothing (slowloris), opened by the test process itself
/// from inside a lab namespace: the test holds the descriptors and sees when the server closes them.
///
/// A thread of its own enters the namespace (sockets belong to the namespace of the thread that opens them) and
/// does every blocking call. ``close()`` closes whatever is still open; the thread ends with the object.
final class HalfSentConnections: Sendable {
    private let thread: KernelThread
    let descriptors: [Int32]

    private init(thread: KernelThread, descriptors: [Int32]) {
        self.thread = thread
        self.descriptors = descriptors
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Opens `count` connections to `127.0.0.1:port` in `namespace`, each sending a request line and a header
    /// but never the blank line that ends the head.
    static func open(count: Int, port: UInt16, namespace: String) async throws -> HalfSentConnections {
        let thread = try await KernelThread(name: "half-sent", networkNamespace: "/run/netns/\(namespace)")
        let result: Result<[Int32], Failure> = try await thread.perform {
            var opened: [Int32] = []
            for _ in 0..<count {
                let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
                guard fd >= 0 else { return .failure(closing(opened, "socket: errno \(errno)")) }
                opened.append(fd)
                var address = sockaddr_in()
                address.sin_family = sa_family_t(AF_INET)
                address.sin_port = port.bigEndian
                address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
                let connected = withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                    }
                }
                guard connected == 0 else { return .failure(closing(opened, "connect: errno \(errno)")) }
                let head = Array("GET /healthz HTTP/1.1\r\nHost: proxyd\r\n".utf8)
                guard send(fd, head, head.count, Int32(MSG_NOSIGNAL)) == head.count else {
                    return .failure(closing(opened, "send: errno \(errno)"))
                }
            }
            return .success(opened)
        }
        return HalfSentConnections(thread: thread, descriptors: try result.get())
    }

    /// Waits until the server has closed every connection — a read returns end-of-file or a reset — or until
    /// `timeout` passes (a deadline for failures, not a synchronization); returns how many are still open.
    func waitUntilTheServerClosesAll(timeout: Duration) async throws -> Int {
        let descriptors = self.descriptors
        return try await thread.perform {
            let deadline = ContinuousClock.now + timeout
            var open = Set(descriptors)
            var buffer = [UInt8](repeating: 0, count: 4096)
            while !open.isEmpty {
                let remaining = deadline - ContinuousClock.now
                guard remaining > .zero else { break }
                var polls = open.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
                let milliseconds = Int32(clamping: remaining.components.seconds * 1000 + 1)
                guard poll(&polls, nfds_t(polls.count), milliseconds) >= 0 || errno == EINTR else { break }
                for entry in polls where entry.revents != 0 {
                    let count = read(entry.fd, &buffer, buffer.count)
                    if count == 0 || (count < 0 && errno != EINTR && errno != EAGAIN) { open.remove(entry.fd) }
                }
            }
            return open.count
        }
    }

    /// Closes every descriptor.
    func close() async throws {
        let descriptors = self.descriptors
        try await thread.perform { for fd in descriptors { _ = Glibc.close(fd) } }
        thread.stop()
    }

    private static func closing(_ descriptors: [Int32], _ message: String) -> Failure {
        for fd in descriptors { _ = Glibc.close(fd) }
        return Failure(description: message)
    }
}
