import Foundation

/// What the watcher needs from an HTTP client: send a GET with a few headers, get the status and headers as
/// soon as they arrive, then the body as it streams (a watch response lasts minutes).
///
/// - Important: `get` returns once the response head arrived; `timeout` bounds only that wait. The body's
///   stream ends when the server ends the response, throws when the connection fails, and cancels the request
///   when the consumer stops iterating (or its task is cancelled).
public protocol APIServerTransport: Sendable {
    /// `urlsession` or `async-http-client`, for logs.
    var kind: APITransportKind { get }
    func get(_ request: APIRequest) async throws -> APIResponse
    /// Releases connections; call once, after the last request.
    func shutdown() async
}

/// A GET to the API server.
public struct APIRequest: Sendable {
    public var url: URL
    public var headers: [(String, String)]
    /// How long to wait for the response head.
    public var timeout: Duration

    public init(url: URL, headers: [(String, String)] = [], timeout: Duration = .seconds(30)) {
        self.url = url
        self.headers = headers
        self.timeout = timeout
    }
}

/// A response whose body streams as it arrives.
public struct APIResponse: Sendable {
    public var status: Int
    /// Header names in lower case.
    public var headers: [String: String]
    /// The body in the chunks the network delivered them; a JSON line may span chunks.
    public var body: AsyncThrowingStream<Data, any Error>

    public init(status: Int, headers: [String: String], body: AsyncThrowingStream<Data, any Error>) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The whole body (for lists and errors), refusing more than `limit` bytes.
    public func collectBody(limit: Int = 1 << 30) async throws -> Data {
        var data = Data()
        for try await chunk in body {
            data.append(chunk)
            if data.count > limit { throw APIServerError(.transport, "response body larger than \(limit) bytes") }
        }
        return data
    }
}
