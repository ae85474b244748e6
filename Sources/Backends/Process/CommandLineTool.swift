import Foundation
import Subprocess

#if canImport(System)
import System
#else
import SystemPackage
#endif

/// A program found on this machine, run to completion: the one subprocess wrapper and PATH lookup of proxyd and
/// its tests (`iptables-nft-restore`, `ipset`, `nsenter`; the lab's `ip` and `nft`).
///
/// Used where a tool's batch interface is the supported way in (`iptables-restore` is atomic per table;
/// `ipset restore` takes many commands at once): one process per batch, never one per object.
public struct CommandLineTool: Sendable, Hashable, CustomStringConvertible {
    /// The absolute path.
    public let path: String

    public init(path: String) {
        self.path = path
    }

    public var description: String { path }

    /// Where tools are looked for after PATH (a DaemonSet's or a non-login shell's PATH may lack the sbin
    /// directories).
    public static let searchDirectories = ["/usr/sbin", "/sbin", "/usr/bin", "/bin", "/usr/local/sbin", "/usr/local/bin"]

    /// The executable `name` in PATH, then in `searchDirectories`, then in `alsoIn`; nil when it is not installed.
    public static func find(_ name: String, alsoIn extraDirectories: [String] = []) -> CommandLineTool? {
        let path = ProcessInfo.processInfo.environment["PATH"]?.split(separator: ":").map(String.init) ?? []
        for directory in path + searchDirectories + extraDirectories
        where !directory.isEmpty && FileManager.default.isExecutableFile(atPath: directory + "/" + name) {
            return CommandLineTool(path: directory + "/" + name)
        }
        return nil
    }

    /// How a run ended, and what it printed.
    public struct Output: Sendable {
        public enum Status: Sendable, Hashable, CustomStringConvertible {
            case exited(Int32)
            case signaled(Int32)

            public var description: String {
                switch self {
                case .exited(let code): "exit status \(code)"
                case .signaled(let signal): "killed by signal \(signal)"
                }
            }
        }

        public var status: Status
        public var stdout: String
        public var stderr: String

        public var succeeded: Bool { status == .exited(0) }
    }

    /// Output beyond this is an error rather than silently cut (an iptables-save of a large node is tens of
    /// megabytes).
    public static let outputLimit = 256 << 20

    /// Runs the tool with `arguments`, feeding `input` on standard input, and waits for it to end.
    ///
    /// Cancelling the calling task terminates the tool (SIGTERM, then SIGKILL after 200 ms).
    public func run(_ arguments: [String], input: String? = nil) async throws -> Output {
        var options = PlatformOptions()
        options.teardownSequence = [.gracefulShutDown(allowedDurationToNextStep: .milliseconds(200))]
        let limit = Self.outputLimit
        let status: TerminationStatus
        let stdout: String?
        let stderr: String?
        if let input {
            let result = try await Subprocess.run(
                .path(FilePath(path)), arguments: Arguments(arguments), platformOptions: options, input: .string(input),
                output: .string(limit: limit), error: .string(limit: limit))
            (status, stdout, stderr) = (result.terminationStatus, result.standardOutput, result.standardError)
        } else {
            let result = try await Subprocess.run(
                .path(FilePath(path)), arguments: Arguments(arguments), platformOptions: options, input: .none,
                output: .string(limit: limit), error: .string(limit: limit))
            (status, stdout, stderr) = (result.terminationStatus, result.standardOutput, result.standardError)
        }
        let ended: Output.Status
        switch status {
        case .exited(let code): ended = .exited(code)
        case .signaled(let signal): ended = .signaled(signal)
        }
        return Output(status: ended, stdout: stdout ?? "", stderr: stderr ?? "")
    }
}
