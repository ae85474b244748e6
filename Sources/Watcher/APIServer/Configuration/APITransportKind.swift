import Foundation

/// Which HTTP client talks to the API server (`--api-transport`).
///
/// URLSession is the default. On Linux it trusts only the CA bundle libcurl was built with and cannot present a
/// client certificate or skip verification, so configurations that need those use async-http-client (NIO SSL).
public enum APITransportKind: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case auto
    case urlSession = "urlsession"
    case asyncHTTPClient = "async-http-client"

    public var description: String { rawValue }

    /// The transport to use and why, for the log. A configuration the requested transport cannot honour is an
    /// error, never silently weakened.
    public static func choose(_ requested: APITransportKind, for configuration: APIServerConfiguration)
        throws(ClientConfigurationError) -> (kind: APITransportKind, reason: String)
    {
        let tls = configuration.tls
        var needs: [String] = []
        if tls.hasClientCertificate { needs.append("a client certificate (\(tls.clientCertificateSource ?? "configured"))") }
        if tls.insecureSkipVerify { needs.append("insecure-skip-tls-verify") }
        let isTLS = configuration.server.scheme == "https"
        let customCA = isTLS && tls.certificateAuthorityPEM != nil
        switch requested {
        case .asyncHTTPClient:
            return (.asyncHTTPClient, "--api-transport=async-http-client")
        case .urlSession:
            if !needs.isEmpty {
                throw ClientConfigurationError(
                    source: "--api-transport=urlsession", field: "",
                    message: "URLSession on Linux cannot use \(needs.joined(separator: " or ")) from \(configuration.origin); use --api-transport=auto or async-http-client")
            }
            if customCA {
                throw ClientConfigurationError(
                    source: "--api-transport=urlsession", field: "",
                    message: "URLSession on Linux trusts only the system CA bundle (/etc/ssl/certs/ca-certificates.crt), not the certificate authority from \(tls.certificateAuthoritySource ?? configuration.origin); remove it from the configuration if the CA is installed in the system bundle, or use --api-transport=auto")
            }
            return (.urlSession, "--api-transport=urlsession")
        case .auto:
            if !needs.isEmpty {
                return (.asyncHTTPClient, "the configuration uses \(needs.joined(separator: " and ")), which URLSession on Linux cannot")
            }
            if customCA {
                return (.asyncHTTPClient, "the configuration names a certificate authority (\(tls.certificateAuthoritySource ?? "inline")), which URLSession on Linux cannot load")
            }
            return (.urlSession, isTLS ? "TLS verified against the system CA bundle, bearer token or none" : "plain HTTP")
        }
    }
}
