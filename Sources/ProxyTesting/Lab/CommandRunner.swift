import Backends
import Subprocess

/// Runs a command to completion and collects its output. The only place the lab spawns short-lived processes,
/// through proxyd's own subprocess wrapper (`CommandLineTool`).
enum CommandRunner {
    /// Runs `argv` (argv[0] an absolute path), feeding `input` on stdin if given.
    ///
    /// Cancelling the calling task terminates the command (SIGTERM, then SIGKILL).
    static func run(_ argv: [String], input: String? = nil) async throws -> ExecResult {
        precondition(!argv.isEmpty && argv[0].hasPrefix("/"), "CommandRunner needs an absolute executable path")
        let output = try await CommandLineTool(path: argv[0]).run(Array(argv.dropFirst()), input: input)
        return ExecResult(command: argv, status: ExecResult.Status(output.status), stdout: output.stdout, stderr: output.stderr)
    }
}

extension ExecResult.Status {
    init(_ status: CommandLineTool.Output.Status) {
        switch status {
        case .exited(let code): self = .exited(code)
        case .signaled(let signal): self = .signaled(signal)
        }
    }
}

extension ExecResult.Status {
    /// A long-running process's end (`LabProcess`, which needs Subprocess's streaming form).
    init(_ status: TerminationStatus) {
        switch status {
        case .exited(let code): self = .exited(code)
        case .signaled(let signal): self = .signaled(signal)
        }
    }
}
