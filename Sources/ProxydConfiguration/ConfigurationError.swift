/// A problem with the `--config` file: which file, where (the line, when known), which field, and what.
///
/// Renders as `config.yaml:12: conntrack.maxPerCoer: unknown field; did you mean maxPerCore?`.
public struct ConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var line: Int?
    /// The field's path (`conntrack.maxPerCore`); nil when the problem is the file as a whole or the message
    /// already names the fields.
    public var field: String?
    public var message: String

    public init(file: String, line: Int? = nil, field: String? = nil, _ message: String) {
        self.file = file
        self.line = line
        self.field = field
        self.message = message
    }

    public var description: String {
        let location = line.map { "\(file):\($0)" } ?? file
        return field.map { "\(location): \($0): \(message)" } ?? "\(location): \(message)"
    }
}
