import Foundation
import Subprocess

#if canImport(System)
import System
#else
import SystemPackage
#endif

/// A netfilter command-line tool (`iptables-nft-save`, `ipset`, …) found on this machine, run to completion.
///
/// Used where the tool's batch interface is the supported way in (`iptables-restore` is atomic per table;
/// `ipset restore` takes many commands at once): one process per batch, never one per object.
struct CommandLineTool: Sendable {
    let path: String

    /// Where tools are looked for when PATH does not have them (a DaemonSet's PATH may be minimal).
    static let searchDirectories = ["/usr/sbin", "/sbin", "/usr/bin", "/bin", "/usr/local/sbin", "/usr/local/bin"]

    /// The tool of that name, if installed.
    static func find(_ name: String) -> CommandLineTool? {
        let path = ProcessInfo.processInfo.environment["PATH"]?.split(separator: ":").map(String.init) ?? []
        for directory in path + searchDirectories where FileManager.default.isExecutableFile(atPath: directory + "/" + name) {
            return CommandLineTool(path: directory + "/" + name)
        }
        return nil
    }

    struct Output: Sendable {
        var succeeded: Bool
        var stdout: String
        var stderr: String
    }

    /// Runs the tool with `arguments`, feeding `input` on standard input.
    func run(_ arguments: [String], input: String? = nil) async throws -> Output {
        let limit = 256 << 20  // an iptables-save of a large node is tens of megabytes
        let status: TerminationStatus
        let stdout: String?
        let stderr: String?
        if let input {
            let result = try await Subprocess.run(
                .path(FilePath(path)), arguments: Arguments(arguments), input: .string(input),
                output: .string(limit: limit), error: .string(limit: limit))
            (status, stdout, stderr) = (result.terminationStatus, result.standardOutput, result.standardError)
        } else {
            let result = try await Subprocess.run(
                .path(FilePath(path)), arguments: Arguments(arguments), input: .none,
                output: .string(limit: limit), error: .string(limit: limit))
            (status, stdout, stderr) = (result.terminationStatus, result.standardOutput, result.standardError)
        }
        return Output(succeeded: status.isSuccess, stdout: stdout ?? "", stderr: stderr ?? "")
    }
}
