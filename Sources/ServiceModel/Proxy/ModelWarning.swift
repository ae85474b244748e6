/// A problem with one object that the model worked around: what was wrong, where, and what proxyd did instead.
///
/// Renders as `Service ns/web: spec.clusterIPs[0]: "10.0.0.300" is not an IP address; skipping this Service`.
public struct ModelWarning: Sendable, Hashable, CustomStringConvertible {
    public var object: ObjectReference?
    public var field: String?
    public var message: String

    public init(_ object: ObjectReference?, field: String? = nil, _ message: String) {
        self.object = object
        self.field = field
        self.message = message
    }

    public var description: String {
        [object?.description, field, message].compactMap { $0 }.joined(separator: ": ")
    }
}
