import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL

/// The transport for what URLSession on Linux cannot do: trust a CA given in the configuration, present a client
/// certificate, or skip verification (`insecure-skip-tls-verify`). async-http-client on NIO SSL.
public final class AsyncHTTPClientTransport: APIServerTransport, Sendable {
    public var kind: APITransportKind { .asyncHTTPClient }
    private let client: HTTPClient

    /// - Parameter idleTimeout: the longest silence on a connection; above the watch's `timeoutSeconds`.
    public init(tls: APIServerConfiguration.TLS, idleTimeout: Duration = .seconds(660)) throws(ClientConfigurationError) {
        var configuration = TLSConfiguration.makeClientConfiguration()
        if let pem = tls.certificateAuthorityPEM {
            let source = tls.certificateAuthoritySource ?? "certificate-authority"
            do {
                let certificates = try NIOSSLCertificate.fromPEMBytes(Array(pem))
                guard !certificates.isEmpty else { throw ClientConfigurationError(source: source, message: "holds no PEM certificate") }
                configuration.trustRoots = .certificates(certificates)
            } catch let error as ClientConfigurationError {
                throw error
            } catch {
                throw ClientConfigurationError(source: source, message: "is not a PEM certificate: \(error)")
            }
        }
        if tls.insecureSkipVerify { configuration.certificateVerification = .none }
        if let certificatePEM = tls.clientCertificatePEM, let keyPEM = tls.clientKeyPEM {
            let source = tls.clientCertificateSource ?? "client-certificate"
            do {
                let chain = try NIOSSLCertificate.fromPEMBytes(Array(certificatePEM))
                guard !chain.isEmpty else { throw ClientConfigurationError(source: source, message: "holds no PEM certificate") }
                configuration.certificateChain = chain.map { .certificate($0) }
            } catch let error as ClientConfigurationError {
                throw error
            } catch {
                throw ClientConfigurationError(source: source, message: "is not a PEM certificate: \(error)")
            }
            do {
                // Keys are PEM in kubeconfigs; NIO SSL would read a `.key` file as DER, so load the bytes explicitly.
                configuration.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: Array(keyPEM), format: .pem))
            } catch {
                throw ClientConfigurationError(source: source, field: "client-key", message: "is not a PEM private key: \(error)")
            }
        }
        var clientConfiguration = HTTPClient.Configuration(
            tlsConfiguration: configuration,
            // A TLS misconfiguration shows only when the connect times out: keep that short.
            timeout: .init(connect: .seconds(5), read: .seconds(idleTimeout.components.seconds)))
        clientConfiguration.httpVersion = .http1Only
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: clientConfiguration)
    }

    public func get(_ request: APIRequest) async throws -> APIResponse {
        var httpRequest = HTTPClientRequest(url: request.url.absoluteString)
        httpRequest.method = .GET
        for (name, value) in request.headers { httpRequest.headers.add(name: name, value: value) }
        let response: HTTPClientResponse
        do {
            let milliseconds = request.timeout.components.seconds * 1000 + request.timeout.components.attoseconds / 1_000_000_000_000_000
            response = try await client.execute(httpRequest, timeout: .milliseconds(milliseconds))
        } catch {
            throw APIServerError(.transport, "\(error)")
        }
        var headers: [String: String] = [:]
        for header in response.headers { headers[header.name.lowercased()] = header.value }
        let (body, continuation) = AsyncThrowingStream.makeStream(of: Data.self)
        let pump = Task {
            do {
                for try await buffer in response.body {
                    continuation.yield(Data(buffer.readableBytesView))
                }
                continuation.finish()
            } catch {
                continuation.finish(throwing: APIServerError(.transport, "\(error)"))
            }
        }
        continuation.onTermination = { _ in pump.cancel() }
        return APIResponse(status: Int(response.status.code), headers: headers, body: body)
    }

    public func shutdown() async {
        try? await client.shutdown()
    }
}
