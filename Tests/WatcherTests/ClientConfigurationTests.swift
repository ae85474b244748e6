import Foundation
import Testing
import Watcher

/// Kubeconfig, in-cluster configuration and the transport choice: every wrong input names its file and field.
@Suite("Reaching the API server: configuration")
struct ClientConfigurationTests {
    static let pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"

    static func kubeconfig(cluster: String = "server: https://192.168.49.2:6443", user: String = "token: abc", context: String = "lab") -> String {
        """
        apiVersion: v1
        kind: Config
        current-context: \(context)
        clusters:
        - name: other
          cluster: {server: "https://10.0.0.1:6443"}
        - name: lab
          cluster:
            \(cluster)
        contexts:
        - name: lab
          context: {cluster: lab, user: proxy}
        users:
        - name: proxy
          user:
            \(user)
        """
    }

    func parse(_ text: String, directory: String = "/etc/proxyd") throws(ClientConfigurationError) -> APIServerConfiguration {
        try KubeConfig.parse(text, path: "/etc/proxyd/kubeconfig", directory: directory)
    }

    @Test func currentContextSelectsClusterAndUser() throws {
        let configuration = try parse(Self.kubeconfig())
        #expect(configuration.server.absoluteString == "https://192.168.49.2:6443")
        #expect(configuration.credentials == .token("abc"))
        #expect(configuration.origin == "kubeconfig /etc/proxyd/kubeconfig (context lab)")
    }

    @Test func inlineDataAndRelativeFilesAreRead() throws {
        let directory = try TemporaryDirectory()
        try directory.write("ca.crt", Self.pem)
        try directory.write("token", "from-file\n")
        let inlineCertificate = Data("CERT".utf8).base64EncodedString()
        let inlineKey = Data("KEY".utf8).base64EncodedString()
        let configuration = try parse(Self.kubeconfig(
            cluster: "{server: \"https://api:6443\", certificate-authority: ca.crt}",
            user: "{tokenFile: token, client-certificate-data: \(inlineCertificate), client-key-data: \(inlineKey)}"),
            directory: directory.path)
        #expect(configuration.tls.certificateAuthorityPEM == Data(Self.pem.utf8))
        #expect(configuration.tls.certificateAuthoritySource == directory.path + "/ca.crt")
        #expect(configuration.tls.clientCertificatePEM == Data("CERT".utf8))
        #expect(configuration.tls.clientKeyPEM == Data("KEY".utf8))
        #expect(configuration.credentials == .tokenFile(directory.path + "/token"))
        #expect(try configuration.credentials.currentToken() == "from-file")
    }

    @Test(arguments: [
        (kubeconfig(context: "missing"), "/etc/proxyd/kubeconfig: current-context: names \"missing\", which is not in contexts"),
        (kubeconfig(cluster: "{insecure-skip-tls-verify: true}"), "/etc/proxyd/kubeconfig: clusters[1].cluster.server: missing"),
        (kubeconfig(cluster: "{server: \"ftp://x\"}"), "/etc/proxyd/kubeconfig: clusters[1].cluster.server: \"ftp://x\" is not a server URL; write e.g. https://192.168.49.2:6443"),
        (kubeconfig(cluster: "{server: \"https://x:1\", certificate-authority: /nonexistent/ca.crt}"), "/etc/proxyd/kubeconfig: clusters[1].cluster.certificate-authority: cannot read \"/nonexistent/ca.crt\""),
        (kubeconfig(cluster: "{server: \"https://x:1\", certificate-authority-data: \"%%%\"}"), "/etc/proxyd/kubeconfig: clusters[1].cluster.certificate-authority-data: is not base64"),
        (kubeconfig(cluster: "{server: \"https://x:1\", insecure-skip-tls-verify: maybe}"), "/etc/proxyd/kubeconfig: clusters[1].cluster.insecure-skip-tls-verify: expected true or false, found \"maybe\""),
        (kubeconfig(user: "{client-certificate-data: Q0VSVA==}"), "/etc/proxyd/kubeconfig: users[0].user.client-key: missing: client-certificate needs client-key (or client-key-data)"),
        (kubeconfig(user: "{exec: {command: aws}}"), "/etc/proxyd/kubeconfig: users[0].user.exec: is not supported by proxyd; use token, tokenFile or a client certificate"),
        ("just text", "/etc/proxyd/kubeconfig: expected a mapping (a kubeconfig has clusters, contexts and users)"),
        ("clusters: [", "/etc/proxyd/kubeconfig: invalid YAML"),
    ])
    func errorsNameTheFileAndField(text: String, expected: String) {
        do {
            _ = try parse(text)
            Issue.record("parsed, but expected: \(expected)")
        } catch {
            #expect(error.description.hasPrefix(expected), "\(error)")
        }
    }

    @Test func missingFileIsNamed() {
        #expect(throws: ClientConfigurationError(source: "/nonexistent/kubeconfig", message: "cannot read the kubeconfig file (does it exist?)")) {
            try KubeConfig.load(path: "/nonexistent/kubeconfig")
        }
    }

    @Test func masterOverridesTheServerOnly() throws {
        let configuration = try parse(Self.kubeconfig()).overridingServer("https://10.1.2.3:6443/")
        #expect(configuration.server.absoluteString == "https://10.1.2.3:6443")
        #expect(configuration.credentials == .token("abc"))
    }

    @Test func inClusterReadsEnvironmentAndServiceAccount() throws {
        let directory = try TemporaryDirectory()
        try directory.write("token", "sa-token")
        try directory.write("ca.crt", Self.pem)
        let environment = ["KUBERNETES_SERVICE_HOST": "fd00::1", "KUBERNETES_SERVICE_PORT": "443"]
        let configuration = try InClusterConfig(environment: environment, serviceAccountDirectory: directory.path).load()
        #expect(configuration.server.absoluteString == "https://[fd00::1]:443")
        #expect(configuration.credentials == .tokenFile(directory.path + "/token"))
        #expect(configuration.tls.certificateAuthorityPEM == Data(Self.pem.utf8))

        #expect(throws: ClientConfigurationError.self) { try InClusterConfig(environment: [:], serviceAccountDirectory: directory.path).load() }
        do {
            _ = try InClusterConfig(environment: environment, serviceAccountDirectory: directory.path + "/nowhere").load()
            Issue.record("loaded without a token")
        } catch {
            #expect(error.field == directory.path + "/nowhere/token")
        }
    }

    @Test func transportIsChosenFromWhatTheConfigurationNeeds() throws {
        let plain = APIServerConfiguration(server: URL(string: "http://127.0.0.1:8080")!, credentials: .token("t"), origin: "test")
        #expect(try APITransportKind.choose(.auto, for: plain).kind == .urlSession)
        var systemTrust = plain
        systemTrust.server = URL(string: "https://api:6443")!
        #expect(try APITransportKind.choose(.auto, for: systemTrust).kind == .urlSession)

        var customCA = systemTrust
        customCA.tls.certificateAuthorityPEM = Data(Self.pem.utf8)
        #expect(try APITransportKind.choose(.auto, for: customCA).kind == .asyncHTTPClient)
        #expect(throws: ClientConfigurationError.self) { try APITransportKind.choose(.urlSession, for: customCA) }

        var clientCertificate = systemTrust
        clientCertificate.tls.clientCertificatePEM = Data("c".utf8)
        clientCertificate.tls.clientKeyPEM = Data("k".utf8)
        let (kind, reason) = try APITransportKind.choose(.auto, for: clientCertificate)
        #expect(kind == .asyncHTTPClient)
        #expect(reason.contains("client certificate"))
        // Forcing URLSession with a client certificate is refused, never silently ignored.
        #expect(throws: ClientConfigurationError.self) { try APITransportKind.choose(.urlSession, for: clientCertificate) }
        #expect(try APITransportKind.choose(.asyncHTTPClient, for: plain).kind == .asyncHTTPClient)
    }
}
