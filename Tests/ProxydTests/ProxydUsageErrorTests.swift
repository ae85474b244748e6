import Foundation
import ProxyTesting
import Subprocess
import Testing

/// The built `proxyd` binary refusing what an operator (or a hostile file) gives it: exit codes as kube-proxy's,
/// errors that say what and where, and logs no input can forge. --dry-run and refused flags touch nothing, so
/// these need no root and no namespace.
@Suite("proxyd usage errors and hostile input")
struct ProxydUsageErrorTests {
    typealias Command = ProxydConfigurationCommandTests
    static let examples = Command.examples

    /// ArgumentParser exits 64 (EX_USAGE) on usage errors; kube-proxy exits 1, and so must proxyd.
    @Test(arguments: [
        (["--no-such-flag"], "Unknown option '--no-such-flag'"),
        (["--objects", examples, "--dry-run", "--cluster-cidr", "10.244.0.0/33"], "--cluster-cidr \"10.244.0.0/33\" is not a CIDR"),
        (["--objects", examples, "--dry-run", "--once"], "--once applies rules and --dry-run only shows them; pick one"),
        (["--objects", examples, "--dry-run", "--v", "eleven"], "The value 'eleven' is invalid for '--v <level>'"),
        (["--objects", examples, "--dry-run", "--sync-period", "2562048h"],
         "The value '2562048h' is invalid for '--sync-period <duration>': out of range; a duration can be at most 2562047h47m16.854775807s (Go's limit)"),
        (["--objects", examples, "--dry-run", "--conntrack-max-per-core", "9223372036854775807"],
         "--conntrack-max-per-core 9223372036854775807 is out of range; use 0 to 2147483647"),
        (["--config", "/"], "--config /: is a directory"),
    ])
    func usageErrorsExit1WithAMessageNamingTheFlag(arguments: [String], message: String) async throws {
        let result = try await Command.proxyd(arguments)
        #expect(result.status == .exited(1), "\(result)")
        #expect(result.stderr.contains(message), "\(result)")
        #expect(result.stdout.isEmpty)
    }

    @Test func helpStillExits0() async throws {
        let result = try await Command.proxyd(["--help"])
        #expect(result.status == .exited(0), "\(result)")
        #expect(result.stdout.contains("--iptables-sync-period"))
    }

    /// "99999999999h" trapped in the duration parser: proxyd died with a signal instead of naming the field.
    @Test func aDurationOutOfRangeInTheFileIsAnErrorNamingFileLineAndField() async throws {
        try await Command.withDirectory { directory in
            let path = directory + "/config.yaml"
            try (Command.config + "\nnftables:\n  syncPeriod: 99999999999h\n").write(toFile: path, atomically: true, encoding: .utf8)
            let result = try await Command.proxyd(["--config", path, "--objects", Self.examples, "--dry-run"])
            #expect(result.status == .exited(1), "\(result)")
            #expect(result.stderr.contains(
                "\(path):6: nftables.syncPeriod: \"99999999999h\" is out of range; a duration can be at most 2562047h47m16.854775807s"),
                "\(result)")
        }
    }

    /// Text from a manifest (here a source range the model warns about) and from a configuration file (an
    /// unknown field's name) reaches the log and the error output; it must not clear the terminal or start a
    /// line that looks like a record of its own.
    @Test func controlCharactersFromInputCannotForgeLogLinesOrDriveTheTerminal() async throws {
        let forged = "2026-01-01T00:00:00Z info proxyd: synced"
        try await Command.withDirectory { directory in
            let manifest = """
                {"apiVersion": "v1", "kind": "Service",
                 "metadata": {"name": "edge", "namespace": "default"},
                 "spec": {"type": "LoadBalancer", "clusterIP": "10.96.0.50", "ports": [{"port": 80, "nodePort": 30050}],
                          "loadBalancerSourceRanges": ["x\\u001b[2J\\n\(forged)\\u202e"]}}
                """
            try FileManager.default.createDirectory(atPath: directory + "/objects", withIntermediateDirectories: true)
            try manifest.write(toFile: directory + "/objects/edge.json", atomically: true, encoding: .utf8)
            let dryRun = try await Command.proxyd([
                "--objects", directory + "/objects", "--hostname-override", "node-a", "--dry-run", "--output", "model",
            ])
            #expect(dryRun.status == .exited(0), "\(dryRun)")
            #expect(dryRun.stderr.contains("loadBalancerSourceRanges[0]"), "the warning is logged: \(dryRun)")
            Self.expectNoForgery(dryRun.stderr, forged: forged)
            #expect(dryRun.stderr.contains("x\\x1b[2J\n\t\(forged)\\u202e"), "escaped, continued on an indented line: \(dryRun)")

            let config = directory + "/config.json"
            try #"{"apiVersion": "kubeproxy.config.k8s.io/v1alpha1", "kind": "KubeProxyConfiguration", "a\u001b[2J\n\#(forged)": 1}"#
                .write(toFile: config, atomically: true, encoding: .utf8)
            let refused = try await Command.proxyd(["--config", config, "--objects", directory + "/objects", "--dry-run"])
            #expect(refused.status == .exited(1), "\(refused)")
            #expect(refused.stderr.contains("unknown field"), "\(refused)")
            #expect(!refused.stderr.utf8.contains(0x1b), "\(refused)")
        }
    }

    static func expectNoForgery(_ text: String, forged: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(!text.utf8.contains(0x1b), "an ESC byte reached the log", sourceLocation: sourceLocation)
        #expect(!text.unicodeScalars.contains("\u{202e}"), "a bidi override reached the log", sourceLocation: sourceLocation)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(!lines.contains { $0.hasPrefix(forged) }, "a forged record starts a line", sourceLocation: sourceLocation)
    }
}
