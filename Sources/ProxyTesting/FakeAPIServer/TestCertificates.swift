import Foundation

/// A throwaway PKI made at test time with the `openssl` command: a CA, a server certificate for 127.0.0.1 and
/// localhost, and a client certificate (CN `system:kube-proxy`), all PEM files in a fresh directory.
public struct TestCertificates: Sendable {
    public let directory: String
    public var caFile: String { directory + "/ca.crt" }
    public var serverCertificateFile: String { directory + "/server.crt" }
    public var serverKeyFile: String { directory + "/server.key" }
    public var clientCertificateFile: String { directory + "/client.crt" }
    public var clientKeyFile: String { directory + "/client.key" }

    /// Generates everything (about a second: EC keys).
    public static func generate() async throws -> TestCertificates {
        let directory = NSTemporaryDirectory() + "proxyd-pki-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let certificates = TestCertificates(directory: directory)
        let openssl = try SystemTool.openssl.path()
        func run(_ arguments: [String]) async throws {
            try await CommandRunner.run([openssl] + arguments).requireSuccess()
        }
        let key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        try await run(["req", "-x509"] + key + [
            "-keyout", directory + "/ca.key", "-out", certificates.caFile, "-days", "2", "-subj", "/CN=proxyd-test-ca",
        ])
        for (name, subject, extensions) in [
            ("server", "/CN=fake-apiserver", "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth"),
            ("client", "/O=system:node-proxier/CN=system:kube-proxy", "extendedKeyUsage=clientAuth"),
        ] {
            try await run(["req", "-new"] + key + ["-keyout", "\(directory)/\(name).key", "-out", "\(directory)/\(name).csr", "-subj", subject])
            try extensions.write(toFile: "\(directory)/\(name).ext", atomically: true, encoding: .utf8)
            try await run([
                "x509", "-req", "-in", "\(directory)/\(name).csr", "-CA", certificates.caFile, "-CAkey", directory + "/ca.key",
                "-CAcreateserial", "-out", "\(directory)/\(name).crt", "-days", "2", "-extfile", "\(directory)/\(name).ext",
            ])
        }
        return certificates
    }

    /// Removes the files.
    public func remove() { try? FileManager.default.removeItem(atPath: directory) }
}
