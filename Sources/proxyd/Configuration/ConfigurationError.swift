/// A problem with the `--config` file: which file, where (the line, when known), which field, and what.
///
/// Renders as `config.yaml:12: conntrack.maxPerCoer: unknown field; did you mean maxPerCore?`.
struct ConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    var file: String
    var line: Int?
    /// The field's path (`conntrack.maxPerCore`); nil when the problem is the file as a whole or the message
    /// already names the fields.
    var field: String?
    var message: String

    init(file: String, line: Int? = nil, field: String? = nil, _ message: String) {
        self.file = file
        self.line = line
        self.field = field
        self.message = message
    }

    var description: String {
        let location = line.map { "\(file):\($0)" } ?? file
        return field.map { "\(location): \($0): \(message)" } ?? "\(location): \(message)"
    }
}
