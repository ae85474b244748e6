import Foundation
import Logging

/// Logs to standard error in one line per record: `2026-11-23T18:03:00Z info proxyd: message key=value`.
///
/// `-v` follows klog's convention: 0 is the default (info), 2 adds debug detail, 4 and more trace.
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
        let line = "\(time) \(event.level) \(label): \(event.message)\(fields.isEmpty ? "" : " " + fields)\n"
        FileHandle.standardError.write(Data(line.utf8))
    }

    static func level(forVerbosity verbosity: Int) -> Logger.Level {
        switch verbosity {
        case ..<2: .info
        case 2..<4: .debug
        default: .trace
        }
    }
}
