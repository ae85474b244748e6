/// The API server's `Status` object: the body of an error response, and the object of a watch `ERROR` event.
///
/// `code` 410 with reason `Expired` or `Gone` means the requested resourceVersion is too old: relist.
public struct APIStatus: Codable, Sendable, Hashable, CustomStringConvertible {
    public var kind: String? = "Status"
    public var apiVersion: String? = "v1"
    public var status: String?
    public var message: String?
    public var reason: String?
    public var code: Int?

    public init(status: String? = "Failure", message: String? = nil, reason: String? = nil, code: Int? = nil) {
        self.status = status
        self.message = message
        self.reason = reason
        self.code = code
    }

    /// The resourceVersion asked for is no longer in the server's history (or a continue token expired).
    public var isGone: Bool { code == 410 || reason == "Expired" || reason == "Gone" }

    public var description: String {
        [code.map { "\($0)" }, reason, message].compactMap { $0 }.joined(separator: " ")
    }
}
