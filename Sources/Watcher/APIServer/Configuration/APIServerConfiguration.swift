import Foundation

/// Everything needed to talk to one API server: its URL, how to trust it, and how to authenticate.
///
/// Built from a kubeconfig (`KubeConfig`), the in-cluster environment (`InClusterConfig`), or `--master`.
/// Certificates and keys are read when the configuration is built, so a wrong path fails at start naming the
/// field; a token file is re-read on every request because service-account tokens rotate.
public struct APIServerConfiguration: Sendable, Hashable {
    /// `https://host:port` (or `http://` for a plain-HTTP test server), without a trailing slash.
    public var server: URL
    public var tls: TLS
    public var credentials: Credentials
    /// Where this configuration came from, for logs: `kubeconfig /root/.kube/config (context kind)`.
    public var origin: String

    public init(server: URL, tls: TLS = TLS(), credentials: Credentials = .none, origin: String) {
        self.server = server
        self.tls = tls
        self.credentials = credentials
        self.origin = origin
    }

    public struct TLS: Sendable, Hashable {
        /// PEM certificates to trust instead of the system's bundle.
        public var certificateAuthorityPEM: Data?
        /// Where the CA came from (`clusters[0].cluster.certificate-authority /path`), for messages.
        public var certificateAuthoritySource: String?
        public var insecureSkipVerify = false
        /// PEM client certificate chain and key.
        public var clientCertificatePEM: Data?
        public var clientKeyPEM: Data?
        /// Where the client certificate came from, for messages.
        public var clientCertificateSource: String?

        public init(
            certificateAuthorityPEM: Data? = nil, certificateAuthoritySource: String? = nil, insecureSkipVerify: Bool = false,
            clientCertificatePEM: Data? = nil, clientKeyPEM: Data? = nil, clientCertificateSource: String? = nil
        ) {
            self.certificateAuthorityPEM = certificateAuthorityPEM
            self.certificateAuthoritySource = certificateAuthoritySource
            self.insecureSkipVerify = insecureSkipVerify
            self.clientCertificatePEM = clientCertificatePEM
            self.clientKeyPEM = clientKeyPEM
            self.clientCertificateSource = clientCertificateSource
        }

        public var hasClientCertificate: Bool { clientCertificatePEM != nil }
    }

    public enum Credentials: Sendable, Hashable {
        case none
        /// A fixed bearer token.
        case token(String)
        /// A file holding the bearer token, re-read on every request (service-account tokens rotate).
        case tokenFile(String)

        /// The token to send now; nil when there is none. A token file that cannot be read is an error naming it.
        public func currentToken() throws(ClientConfigurationError) -> String? {
            switch self {
            case .none: return nil
            case .token(let token): return token
            case .tokenFile(let path):
                guard let data = FileManager.default.contents(atPath: path) else {
                    throw ClientConfigurationError(source: path, message: "cannot read the bearer token file")
                }
                let token = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                guard !token.isEmpty else { throw ClientConfigurationError(source: path, message: "the bearer token file is empty") }
                return token
            }
        }
    }

    /// Replaces the server (`--master`), keeping trust and credentials.
    public func overridingServer(_ master: String) throws(ClientConfigurationError) -> APIServerConfiguration {
        var copy = self
        copy.server = try Self.parseServer(master, source: "--master", field: "")
        copy.origin += ", server from --master"
        return copy
    }

    /// Checks a server URL: http or https, a host, no path beyond `/`.
    public static func parseServer(_ text: String, source: String, field: String) throws(ClientConfigurationError) -> URL {
        var trimmed = text.trimmingCharacters(in: .whitespaces)
        while trimmed.hasSuffix("/") { trimmed.removeLast() }
        guard let components = URLComponents(string: trimmed), let scheme = components.scheme?.lowercased(),
            ["http", "https"].contains(scheme), let host = components.host, !host.isEmpty, let url = components.url
        else {
            throw ClientConfigurationError(
                source: source, field: field, message: "\"\(text)\" is not a server URL; write e.g. https://192.168.49.2:6443")
        }
        return url
    }
}
