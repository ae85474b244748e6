import Foundation

/// The configuration a pod gets for free: `KUBERNETES_SERVICE_HOST` / `KUBERNETES_SERVICE_PORT`, and the
/// service account's `token` (re-read on every request: it rotates) and `ca.crt`.
///
/// - Important: `KUBERNETES_SERVICE_HOST` is the `kubernetes` Service's ClusterIP — an address proxyd itself
///   programs. A node proxy should reach the API server directly (`--master` or a kubeconfig); in-cluster
///   configuration works only while some other rules (a previous proxy's) still forward that address.
public struct InClusterConfig: Sendable {
    public static let defaultServiceAccountDirectory = "/var/run/secrets/kubernetes.io/serviceaccount"

    public var environment: [String: String]
    /// Where `token` and `ca.crt` are; injectable for tests.
    public var serviceAccountDirectory: String

    public init(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        serviceAccountDirectory: String = InClusterConfig.defaultServiceAccountDirectory
    ) {
        self.environment = environment
        self.serviceAccountDirectory = serviceAccountDirectory
    }

    static let source = "in-cluster configuration"

    /// The service account's credentials and trust (token file, CA), without a server.
    public func serviceAccount() throws(ClientConfigurationError) -> (APIServerConfiguration.TLS, APIServerConfiguration.Credentials) {
        let tokenPath = serviceAccountDirectory + "/token"
        guard FileManager.default.isReadableFile(atPath: tokenPath) else {
            throw ClientConfigurationError(
                source: Self.source, field: tokenPath,
                message: "cannot read the service-account token; outside a pod, give --kubeconfig or --master")
        }
        var tls = APIServerConfiguration.TLS()
        let caPath = serviceAccountDirectory + "/ca.crt"
        if FileManager.default.fileExists(atPath: caPath) {
            guard let ca = FileManager.default.contents(atPath: caPath) else {
                throw ClientConfigurationError(source: Self.source, field: caPath, message: "cannot read the cluster CA")
            }
            tls.certificateAuthorityPEM = ca
            tls.certificateAuthoritySource = caPath
        }
        return (tls, .tokenFile(tokenPath))
    }

    /// Whether this process looks like it runs in a pod (the service-account token is there).
    public var hasServiceAccount: Bool { FileManager.default.isReadableFile(atPath: serviceAccountDirectory + "/token") }

    public func load() throws(ClientConfigurationError) -> APIServerConfiguration {
        guard let host = environment["KUBERNETES_SERVICE_HOST"], !host.isEmpty,
            let port = environment["KUBERNETES_SERVICE_PORT"], !port.isEmpty
        else {
            throw ClientConfigurationError(
                source: Self.source, field: "KUBERNETES_SERVICE_HOST, KUBERNETES_SERVICE_PORT",
                message: "not set, so proxyd is not running in a pod; give --kubeconfig or --master")
        }
        guard let portNumber = Int(port), (1...65535).contains(portNumber) else {
            throw ClientConfigurationError(source: Self.source, field: "KUBERNETES_SERVICE_PORT", message: "\"\(port)\" is not a port")
        }
        let hostPart = host.contains(":") ? "[\(host)]" : host
        let server = try APIServerConfiguration.parseServer(
            "https://\(hostPart):\(portNumber)", source: Self.source, field: "KUBERNETES_SERVICE_HOST")
        let (tls, credentials) = try serviceAccount()
        return APIServerConfiguration(server: server, tls: tls, credentials: credentials, origin: Self.source)
    }
}
