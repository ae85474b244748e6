import Subprocess

#if canImport(System)
import System
#else
import SystemPackage
#endif

/// Runs a command to completion and collects its output. The only place the lab spawns short-lived processes.
enum CommandRunner {
    /// Output beyond this is an error rather than silently cut (conntrack tables in tests are small).
    static let outputLimit = 64 << 20

    /// Runs `argv` (argv[0] an absolute path), feeding `input` on stdin if given.
    ///
    /// Cancelling the calling task terminates the command (SIGTERM, then SIGKILL).
    static func run(_ argv: [String], input: String? = nil) async throws -> ExecResult {
        precondition(!argv.isEmpty && argv[0].hasPrefix("/"), "CommandRunner needs an absolute executable path")
        var options = PlatformOptions()
        options.teardownSequence = [.gracefulShutDown(allowedDurationToNextStep: .milliseconds(200))]
        let executable = Executable.path(FilePath(argv[0]))
        let arguments = Arguments(Array(argv.dropFirst()))
        let status: TerminationStatus
        let stdout: String?
        let stderr: String?
        if let input {
            let result = try await Subprocess.run(
                executable, arguments: arguments, platformOptions: options,
                input: .string(input), output: .string(limit: outputLimit), error: .string(limit: outputLimit)
            )
            (status, stdout, stderr) = (result.terminationStatus, result.standardOutput, result.standardError)
        } else {
            let result = try await Subprocess.run(
                executable, arguments: arguments, platformOptions: options,
                input: .none, output: .string(limit: outputLimit), error: .string(limit: outputLimit)
            )
            (status, stdout, stderr) = (result.terminationStatus, result.standardOutput, result.standardError)
        }
        return ExecResult(command: argv, status: ExecResult.Status(status), stdout: stdout ?? "", stderr: stderr ?? "")
    }
}

extension ExecResult.Status {
    init(_ status: TerminationStatus) {
        switch status {
        case .exited(let code): self = .exited(code)
        case .signaled(let signal): self = .signaled(signal)
        }
    }
}
