import Foundation
import Glibc

/// Reads and writes the files an operator names on the command line (`--config`, `--write-config-to`) with
/// plain system calls, so that a failure says what the system said — `is a directory`, `permission denied`,
/// `no such file or directory` — instead of Foundation's "NSCocoaErrorDomain error 256".
public enum FileAccess {
    /// Why a file could not be read or written, in the system's words (lower-cased: it follows a colon).
    public struct Failure: Error, Sendable, Equatable, CustomStringConvertible {
        public var reason: String
        public var description: String { reason }

        public init(_ reason: String) { self.reason = reason }

        /// `strerror` of `code`: "is a directory".
        public init(errno code: Int32) {
            let text = String(cString: strerror(code))
            reason = text.prefix(1).lowercased() + text.dropFirst()
        }
    }

    /// The contents of the file at `path`, which may be a regular file or anything readable (`/dev/stdin`).
    ///
    /// - Parameter limit: a file longer than this is refused (`--config /dev/zero` must not read forever).
    public static func read(_ path: String, limit: Int) throws(Failure) -> Data {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw Failure(errno: errno) }
        defer { close(fd) }
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw Failure(errno: errno)
            }
            if count == 0 { return data }
            data.append(contentsOf: buffer[..<count])
            guard data.count <= limit else {
                throw Failure("longer than \(limit >> 20) MiB; this is not a configuration file")
            }
        }
    }

    /// Replaces the file at `path` with `data` atomically: written to a temporary file next to it, then renamed
    /// over it, so a reader never sees half a file.
    public static func write(_ data: Data, to path: String) throws(Failure) {
        let temporary = "\(path).tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw Failure(errno: errno) }
        var failure: Failure?
        data.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let count = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
                if count < 0 {
                    if errno == EINTR { continue }
                    failure = Failure(errno: errno)
                    return
                }
                offset += count
            }
        }
        if close(fd) != 0, failure == nil { failure = Failure(errno: errno) }
        if failure == nil, rename(temporary, path) != 0 { failure = Failure(errno: errno) }
        if let failure {
            unlink(temporary)
            throw failure
        }
    }
}
