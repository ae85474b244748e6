import Foundation
import Logging

/// Logs to standard error in one line per record: `2026-11-23T18:03:00Z info proxyd: message key=value`.
///
/// `-v` follows klog's convention: 0 is the default (info), 2 adds debug detail, 4 and more trace.
///
/// - Important: Messages and metadata carry text from the cluster, files and the kernel (a Service name, a
///   server's error), which must not forge records or drive the terminal. Every record starts a line with its
///   timestamp; a newline inside it continues on a line indented with a tab (as klog indents multi-line values),
///   and every other control character — C0, DEL, C1, bidirectional overrides, Unicode line separators — is
///   written escaped (`\x1b`, `\u202e`). See ``escaped(_:)``.
struct StderrLogHandler: LogHandler {
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]
    let label: String

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        let fields = merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        let time = Date().formatted(.iso8601)
        var message = "\(event.message)"
        while message.hasSuffix("\n") { message.removeLast() }
        let record = message + (fields.isEmpty ? "" : " " + fields)
        let line = "\(time) \(event.level) \(Self.escaped(label)): \(Self.escaped(record))\n"
        FileHandle.standardError.write(Data(line.utf8))
    }

    /// `text` safe to write into one record: newlines become `newline` (by default they continue on a
    /// tab-indented line), other control and bidirectional-formatting characters become `\xNN` / `\uNNNN`;
    /// everything else is kept.
    static func escaped(_ text: String, newline: String = "\n\t") -> String {
        // Most records are printable ASCII: return them untouched.
        if text.utf8.allSatisfy({ (0x20..<0x7f).contains($0) || $0 == 0x09 }) { return text }
        var result = ""
        result.unicodeScalars.reserveCapacity(text.unicodeScalars.count)
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x0a:
                result += newline
            case 0x09:
                result.unicodeScalars.append(scalar)
            case 0x00..<0x20, 0x7f..<0xa0:
                result += "\\x" + hex(scalar.value, digits: 2)
            case 0x200e, 0x200f, 0x2028, 0x2029, 0x202a...0x202e, 0x2066...0x2069:
                result += "\\u" + hex(scalar.value, digits: 4)
            default:
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    private static func hex(_ value: UInt32, digits: Int) -> String {
        let text = String(value, radix: 16)
        return String(repeating: "0", count: max(0, digits - text.count)) + text
    }

    static func level(forVerbosity verbosity: Int) -> Logger.Level {
        switch verbosity {
        case ..<2: .info
        case 2..<4: .debug
        default: .trace
        }
    }
}
