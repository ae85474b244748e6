import Foundation
import ProxyTesting
import ServiceModel
import Testing
import Watcher

/// URLSession on Linux trusts only libcurl's CA bundle. With the cluster CA installed there (here: bind-mounted
/// over it in a private mount namespace, so the host is untouched), the real `proxyd` reads the cluster over
/// TLS with a bearer token through URLSession.
@Suite("URLSession over TLS with the CA in the system bundle")
struct URLSessionTLSTests {
    @Test func proxydReadsTheClusterOverTLSWithURLSession() async throws {
        let pki = try await TestCertificates.generate()
        defer { pki.remove() }
        let tls = FakeAPIServer.TLS(certificateFile: pki.serverCertificateFile, privateKeyFile: pki.serverKeyFile)
        try await FakeAPIServer.with(.init(tls: tls, bearerTokens: ["tls-token"])) { server in
            try await server.put([
                .node(Fixtures.node("node-a")),
                .service(Fixtures.service("shop/web", clusterIP: "10.96.7.7")),
                .endpointSlice(Fixtures.slice("shop/web-1", service: "web", endpoints: [.ready("10.244.0.7", node: "node-a")])),
            ])
            let directory = try TemporaryDirectory()
            // No certificate-authority: the CA must come from the system bundle, so auto picks URLSession.
            let kubeconfig = try directory.write(
                "kubeconfig", FakeAPIServer.kubeconfig(server: server.url.absoluteString, token: "tls-token"))
            let command = [
                try LabBinaries.path(of: "proxyd"), "--kubeconfig", kubeconfig, "--hostname-override", "node-a",
                "--cluster-cidr", "10.244.0.0/16", "--dry-run", "--output", "model",
            ]
            let result = try await MountNamespace.run(command, bindMounts: [(pki.caFile, "/etc/ssl/certs/ca-certificates.crt")])
            #expect(result.succeeded, "\(result)")
            #expect(result.stderr.contains("over urlsession"), "\(result.stderr)")
            #expect(result.stdout.contains("10.96.7.7"), "\(result.stdout)")
            #expect(result.stdout.contains("10.244.0.7"), "\(result.stdout)")
            // The host's bundle was not touched: outside the namespace the CA is not trusted.
            let hostBundle = try String(contentsOfFile: "/etc/ssl/certs/ca-certificates.crt", encoding: .utf8)
            #expect(!hostBundle.contains(try String(contentsOfFile: pki.caFile, encoding: .utf8)))
        }
    }
}
