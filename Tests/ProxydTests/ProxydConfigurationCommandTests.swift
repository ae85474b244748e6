import Foundation
import ProxyTesting
import Subprocess
import Testing

#if canImport(System)
import System
#else
import SystemPackage
#endif

/// The built `proxyd` binary with --config and --write-config-to, run as an operator runs it. --dry-run touches
/// nothing, so these need no root and no namespace.
@Suite("proxyd --config and --write-config-to")
struct ProxydConfigurationCommandTests {
    static let examples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("examples").path
    static let flags = ["--hostname-override", "node-a", "--cluster-cidr", "10.244.0.0/16,fd00:10:244::/56"]
    static let config = """
        apiVersion: kubeproxy.config.k8s.io/v1alpha1
        kind: KubeProxyConfiguration
        hostnameOverride: node-a
        clusterCIDR: 10.244.0.0/16,fd00:10:244::/56
        """

    @Test(arguments: [["--output", "nft"], ["--output", "model"]])
    func configFileDryRunPrintsWhatTheEquivalentFlagsPrint(output: [String]) async throws {
        try await Self.withDirectory { directory in
            let path = directory + "/config.yaml"
            try Self.config.write(toFile: path, atomically: true, encoding: .utf8)
            let fromFlags = try await Self.proxyd(["--objects", Self.examples, "--dry-run"] + Self.flags + output)
            let fromFile = try await Self.proxyd(["--config", path, "--objects", Self.examples, "--dry-run"] + output)
            #expect(fromFlags.status == .exited(0), "\(fromFlags)")
            #expect(fromFile.status == .exited(0), "\(fromFile)")
            #expect(!fromFlags.stdout.isEmpty)
            #expect(fromFile.stdout == fromFlags.stdout)
        }
    }

    @Test func writtenConfigurationRunsLikeTheFlagsThatWroteIt() async throws {
        try await Self.withDirectory { directory in
            let path = directory + "/written.yaml"
            let write = try await Self.proxyd(["--write-config-to", path, "--conntrack-min", "1000"] + Self.flags)
            #expect(write.status == .exited(0), "\(write)")
            let written = try String(contentsOfFile: path, encoding: .utf8)
            #expect(written.hasPrefix("apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\n"))
            #expect(written.contains("  min: 1000\n"))
            #expect(written.contains("hostnameOverride: \"node-a\"\n"))

            let fromFlags = try await Self.proxyd(["--objects", Self.examples, "--dry-run"] + Self.flags)
            let fromFile = try await Self.proxyd(["--config", path, "--objects", Self.examples, "--dry-run"])
            #expect(fromFile.status == .exited(0), "\(fromFile)")
            #expect(fromFile.stdout == fromFlags.stdout)

            // Written again from the file it wrote: the same bytes.
            let again = directory + "/again.yaml"
            let rewrite = try await Self.proxyd(["--config", path, "--write-config-to", again])
            #expect(rewrite.status == .exited(0), "\(rewrite)")
            #expect(try String(contentsOfFile: again, encoding: .utf8) == written)
        }
    }

    @Test func aBadFileIsAnErrorNamingFileLineAndField() async throws {
        try await Self.withDirectory { directory in
            let path = directory + "/config.yaml"
            try (Self.config + "\nconntrack:\n  maxPerCoer: 1\n").write(toFile: path, atomically: true, encoding: .utf8)
            let result = try await Self.proxyd(["--config", path, "--objects", Self.examples, "--dry-run"])
            #expect(result.status == .exited(1))
            #expect(result.stderr.contains("\(path):6: conntrack.maxPerCoer: unknown field; did you mean maxPerCore?"), "\(result)")
            #expect(result.stdout.isEmpty)
        }
    }

    @Test func flagsTheFileOverridesAreWarnedAbout() async throws {
        try await Self.withDirectory { directory in
            let path = directory + "/config.yaml"
            try Self.config.write(toFile: path, atomically: true, encoding: .utf8)
            let result = try await Self.proxyd([
                "--config", path, "--objects", Self.examples, "--dry-run", "--cluster-cidr", "10.0.0.0/8",
            ])
            #expect(result.status == .exited(0), "\(result)")
            #expect(result.stderr.contains("--cluster-cidr is ignored because --config is given (as kube-proxy does); set it in \(path)"))
        }
    }

    // MARK: - Helpers

    struct Result: CustomStringConvertible {
        var status: TerminationStatus
        var stdout: String
        var stderr: String
        var description: String { "\(status)\nstdout:\n\(stdout)\nstderr:\n\(stderr)" }
    }

    static func proxyd(_ arguments: [String]) async throws -> Result {
        let result = try await Subprocess.run(
            .path(FilePath(try LabBinaries.path(of: "proxyd"))), arguments: Arguments(arguments),
            output: .string(limit: 16 << 20), error: .string(limit: 16 << 20))
        return Result(status: result.terminationStatus, stdout: result.standardOutput, stderr: result.standardError)
    }

    static func withDirectory(_ body: (String) async throws -> Void) async throws {
        let directory = NSTemporaryDirectory() + "proxyd-config-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await body(directory)
    }
}
