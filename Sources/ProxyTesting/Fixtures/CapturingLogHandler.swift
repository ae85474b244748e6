import Logging

/// A log handler that hands every record to a stream, so tests can await "the component logged X" instead of
/// sleeping.
public struct CapturingLogHandler: LogHandler {
    public var logLevel: Logger.Level = .trace
    public var metadata: Logger.Metadata = [:]
    let sink: @Sendable (Logger.Level, String) -> Void

    public init(sink: @escaping @Sendable (Logger.Level, String) -> Void) { self.sink = sink }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) { sink(event.level, "\(event.message)") }

    /// A logger whose records arrive on the returned stream.
    public static func logger(label: String = "test") -> (Logger, AsyncStream<(Logger.Level, String)>) {
        let (stream, continuation) = AsyncStream.makeStream(of: (Logger.Level, String).self)
        let logger = Logger(label: label) { _ in CapturingLogHandler { continuation.yield(($0, $1)) } }
        return (logger, stream)
    }
}
