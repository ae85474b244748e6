import Foundation
import ServiceModel

/// Why a request to the API server failed, and whether and when to retry.
///
/// Renders as `GET /api/v1/services: 429 Too Many Requests: retry in 2s` or `… : connection refused`.
public struct APIServerError: Error, Sendable, CustomStringConvertible {
    public enum Code: Sendable, Hashable {
        /// The connection failed, timed out or broke mid-stream: retry with backoff.
        case transport
        /// 410 Gone (HTTP status or watch ERROR event): the resourceVersion is too old; relist.
        case gone
        /// Any other non-200 status (`status`): 429 and 5xx are retried honouring Retry-After, 401/403 retried
        /// with backoff (credentials rotate, RBAC gets fixed).
        case httpStatus
        /// The response could not be read as the API's JSON.
        case decoding
    }

    public var code: Code
    public var message: String
    public var status: Int?
    /// From a `Retry-After` header (429 / 5xx).
    public var retryAfter: Duration?

    public init(_ code: Code, _ message: String, status: Int? = nil, retryAfter: Duration? = nil) {
        self.code = code
        self.message = message
        self.status = status
        self.retryAfter = retryAfter
    }

    public var description: String {
        var text = message
        if let retryAfter { text += " (Retry-After \(retryAfter))" }
        return text
    }

    /// Classifies a non-200 response.
    static func from(status: Int, body: APIStatus?, retryAfterHeader: String?, request: String) -> APIServerError {
        let detail = body?.message.map { ": \($0)" } ?? ""
        let retryAfter = retryAfterHeader.flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }.map { Duration.seconds(max(0, $0)) }
        if status == 410 || body?.isGone == true {
            return APIServerError(.gone, "\(request): 410 Gone\(detail)", status: status)
        }
        var hint = ""
        if status == 401 { hint = " (check the token or client certificate)" }
        if status == 403 { hint = " (proxyd needs list and watch on services, endpointslices and nodes)" }
        return APIServerError(.httpStatus, "\(request): HTTP \(status)\(detail)\(hint)", status: status, retryAfter: retryAfter)
    }
}
