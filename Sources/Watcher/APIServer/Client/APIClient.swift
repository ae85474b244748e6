import ServiceModel
import Foundation
import Logging

/// One connection setup to one API server: the transport, the credentials (the token re-read for every request)
/// and the client-side rate limit shared by every request.
public struct APIClient: Sendable {
    public let configuration: APIServerConfiguration
    public let transport: any APIServerTransport
    let limiter: RateLimiter

    public init(configuration: APIServerConfiguration, transport: any APIServerTransport, qps: Double = 5, burst: Int = 10) {
        self.configuration = configuration
        self.transport = transport
        self.limiter = RateLimiter(qps: qps, burst: burst)
    }

    /// Picks the transport for `configuration` (see `APITransportKind.choose`) and logs which and why.
    public static func make(
        configuration: APIServerConfiguration, transport requested: APITransportKind = .auto, qps: Double = 5, burst: Int = 10,
        idleTimeout: Duration = .seconds(660), logger: Logger
    ) throws(ClientConfigurationError) -> APIClient {
        let (kind, reason) = try APITransportKind.choose(requested, for: configuration)
        let transport: any APIServerTransport
        switch kind {
        case .asyncHTTPClient: transport = try AsyncHTTPClientTransport(tls: configuration.tls, idleTimeout: idleTimeout)
        default: transport = URLSessionTransport(idleTimeout: idleTimeout)
        }
        logger.info(
            "API server \(configuration.server.absoluteString) from \(configuration.origin) over \(kind): \(reason)")
        return APIClient(configuration: configuration, transport: transport, qps: qps, burst: burst)
    }

    /// A GET of `path` with `query`; any status but 200 becomes an `APIServerError`.
    ///
    /// - Parameter rateLimited: false only for the continuation pages of a list, which is one logical request
    ///   (the API server's watch cache would answer it in one response); charging each page would make the
    ///   initial list of a large cluster wait seconds for tokens.
    public func get(path: String, query: [URLQueryItem], timeout: Duration = .seconds(60), rateLimited: Bool = true) async throws -> APIResponse {
        if rateLimited { try await limiter.acquire() }
        var components = URLComponents(url: configuration.server, resolvingAgainstBaseURL: false)!
        components.path = path
        components.queryItems = query.isEmpty ? nil : query
        // Label selectors hold `!` and `,`: keep them encoded the way the API server expects.
        components.percentEncodedQuery = components.percentEncodedQuery?.replacingOccurrences(of: "+", with: "%2B")
        guard let url = components.url else { throw APIServerError(.transport, "cannot build a URL for \(path)") }
        var headers = [("Accept", "application/json"), ("User-Agent", "proxyd")]
        let token: String?
        do {
            token = try configuration.credentials.currentToken()
        } catch {
            throw APIServerError(.transport, "\(error)")
        }
        if let token { headers.append(("Authorization", "Bearer \(token)")) }
        let response = try await transport.get(APIRequest(url: url, headers: headers, timeout: timeout))
        guard response.status == 200 else {
            let body = try? await response.collectBody(limit: 1 << 20)
            let status = body.flatMap { try? JSONDecoder().decode(APIStatus.self, from: $0) }
            throw APIServerError.from(
                status: response.status, body: status, retryAfterHeader: response.headers["retry-after"], request: "GET \(path)")
        }
        return response
    }
}
