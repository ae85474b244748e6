/// A problem with how proxyd is told to reach the API server: which file (or flag, or environment variable),
/// which field, and what to do.
///
/// Renders as `/etc/proxyd/kubeconfig: users[0].user.client-key: no such file "/etc/proxyd/key.pem"`.
public struct ClientConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kubeconfig path, `in-cluster configuration`, or a flag such as `--master`.
    public var source: String
    /// The field within `source` (`clusters[0].cluster.server`), empty for the source as a whole.
    public var field: String
    public var message: String

    public init(source: String, field: String = "", message: String) {
        self.source = source
        self.field = field
        self.message = message
    }

    public var description: String {
        [source, field.isEmpty ? nil : field, message].compactMap { $0 }.joined(separator: ": ")
    }
}
