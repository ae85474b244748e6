import Glibc

/// A failed system call: which operation, on what, and the errno it returned.
struct SocketError: Error, CustomStringConvertible {
    var operation: String
    var code: Int32

    var description: String { "\(operation): \(String(cString: strerror(code))) (errno \(code))" }
}

/// Runs a system call that returns -1 and sets errno on failure, retrying on EINTR.
@discardableResult
func check<T: BinaryInteger>(_ operation: @autoclosure () -> String, _ call: () -> T) throws(SocketError) -> T {
    while true {
        let result = call()
        guard result == -1 else { return result }
        let code = errno
        if code == EINTR { continue }
        throw SocketError(operation: operation(), code: code)
    }
}

/// Writes a line to stdout unbuffered: stdout is a pipe to the test, which reads line by line.
func emit(_ line: String) {
    writeAll(STDOUT_FILENO, line + "\n")
}

/// Writes a diagnostic line to stderr.
func log(_ line: String) {
    writeAll(STDERR_FILENO, "proxyd-lab: \(line)\n")
}

private func writeAll(_ fd: Int32, _ text: String) {
    let bytes = Array(text.utf8)
    var offset = 0
    while offset < bytes.count {
        let written = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        if written < 0 && errno == EINTR { continue }
        if written <= 0 { return }
        offset += written
    }
}
