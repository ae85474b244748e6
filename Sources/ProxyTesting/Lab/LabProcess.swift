import Foundation
import Glibc
import Subprocess

#if canImport(System)
import System
#else
import SystemPackage
#endif

/// A long-running process the lab started inside one of its namespaces (a `proxyd-lab serve`, proxyd itself).
///
/// The process runs in its own session (process group), so stopping it also stops anything it started.
/// Its stdout is kept line by line (await a line with ``waitForLine(timeout:where:)``), its stderr as text for
/// error messages.
///
/// - Important: The lab that started a process stops it at teardown at the latest; ``stop()`` is idempotent.
public final class LabProcess: Sendable, CustomStringConvertible {
    /// The host it runs in.
    public let host: LabHost
    /// The command, without the `ip netns exec NS` prefix.
    public let command: [String]
    /// The process ID (of the command itself: `ip netns exec` replaces itself with it).
    public let pid: Int32

    private let log: ProcessOutputLog
    private let task: Task<ExecResult.Status, any Error>
    /// Set once the process has been reaped: its PID (and process group ID) may then belong to someone else.
    private let ended: EndedFlag

    /// Grace between SIGTERM and SIGKILL when stopping.
    public static let stopGracePeriod: Duration = .milliseconds(500)

    /// How long a process may take to print an awaited line: 10 s, times `PROXYD_LAB_SLOWDOWN` when set (the VM
    /// checks set 10: under software emulation a Swift process can take seconds just to start). A deadline for a
    /// broken process, not a synchronization.
    public static let defaultLineTimeout: Duration = .seconds(10) * slowdown

    /// `PROXYD_LAB_SLOWDOWN`, an integer of at least 1 (1 when unset or invalid).
    public static let slowdown: Int = {
        guard let text = ProcessInfo.processInfo.environment["PROXYD_LAB_SLOWDOWN"], let value = Int(text), value >= 1 else { return 1 }
        return min(value, 100)
    }()

    private init(
        host: LabHost, command: [String], pid: Int32, log: ProcessOutputLog, task: Task<ExecResult.Status, any Error>,
        ended: EndedFlag
    ) {
        self.host = host
        self.command = command
        self.pid = pid
        self.log = log
        self.task = task
        self.ended = ended
    }

    /// Launches `argv` (absolute argv[0]) and returns once it is running (not necessarily ready).
    static func launch(host: LabHost, command: [String], argv: [String]) async throws -> LabProcess {
        let log = ProcessOutputLog()
        let ended = EndedFlag()
        let (pids, pidContinuation) = AsyncStream.makeStream(of: Int32.self)
        let task = Task<ExecResult.Status, any Error> {
            defer {
                ended.set()
                pidContinuation.finish()
                log.finish()
            }
            var options = PlatformOptions()
            options.createSession = true
            options.teardownSequence = [.gracefulShutDown(toProcessGroup: true, allowedDurationToNextStep: stopGracePeriod)]
            let result = try await Subprocess.run(
                .path(FilePath(argv[0])), arguments: Arguments(Array(argv.dropFirst())), platformOptions: options,
                input: .none, output: .sequence, error: .sequence
            ) { execution in
                pidContinuation.yield(execution.processIdentifier.value)
                pidContinuation.finish()
                async let stdout: Void = log.consume(execution.standardOutput, .stdout)
                async let stderr: Void = log.consume(execution.standardError, .stderr)
                _ = await (stdout, stderr)
            }
            return ExecResult.Status(result.terminationStatus)
        }
        var iterator = pids.makeAsyncIterator()
        guard let pid = await iterator.next() else {
            do {
                let status = try await task.value
                throw LabError(.processExited, "`\(argv.joined(separator: " "))` ended at once (\(status))")
            } catch let error as LabError {
                throw error
            } catch {
                throw LabError(.commandFailed, "could not start `\(argv.joined(separator: " "))`: \(error)")
            }
        }
        return LabProcess(host: host, command: command, pid: pid, log: log, task: task, ended: ended)
    }

    /// Stdout lines printed so far.
    public var outputLines: [String] { log.stdoutLines }

    /// Stderr printed so far (the last 64 KiB at most).
    public var standardError: String { log.stderrText }

    /// Waits until the process prints a stdout line matching `predicate` (or has printed one already).
    ///
    /// - Throws: ``LabError/Code/processExited`` if it exits first, ``LabError/Code/readyTimeout`` after `timeout`;
    ///   both quote the process's stderr.
    @discardableResult
    public func waitForLine(timeout: Duration = defaultLineTimeout, where predicate: @escaping @Sendable (String) -> Bool) async throws -> String {
        enum Outcome: Sendable { case line(String), ended, timedOut }
        let outcome = await withTaskGroup(of: Outcome.self) { group in
            group.addTask { await self.log.firstLine(where: predicate).map(Outcome.line) ?? .ended }
            group.addTask {
                // A deadline, not synchronization: the line normally arrives long before.
                try? await Task.sleep(for: timeout)
                return .timedOut
            }
            let first = await group.next()!
            group.cancelAll()
            return first
        }
        switch outcome {
        case .line(let line):
            return line
        case .ended:
            try Task.checkCancellation()
            let status = try? await task.value
            throw LabError(.processExited, "\(self) exited (\(status.map { "\($0)" } ?? "launch failed")) before printing the expected line\(stderrSuffix)")
        case .timedOut:
            throw LabError(.readyTimeout, "\(self) printed no expected line within \(timeout)\(stderrSuffix)")
        }
    }

    /// Waits for the line `ready`.
    public func waitUntilReady(timeout: Duration = defaultLineTimeout) async throws {
        try await waitForLine(timeout: timeout) { $0 == "ready" }
    }

    /// Waits for the process to exit by itself.
    public func waitForExit() async throws -> ExecResult.Status {
        try await task.value
    }

    /// Stops the process group: SIGTERM, then SIGKILL if it has not exited after `gracePeriod`. Returns the exit
    /// status, or nil if it could not be collected. Safe to call more than once and after the process exited.
    ///
    /// A process that handles SIGTERM (proxyd's graceful shutdown) gets the whole grace period to exit by itself,
    /// so its exit status says whether its shutdown worked.
    @discardableResult
    public func stop(gracePeriod: Duration = stopGracePeriod) async -> ExecResult.Status? {
        if !ended.isSet {
            kill(-pid, SIGTERM)  // the process group: `createSession` made the process its leader
        }
        let task = self.task
        let exited = await withTaskGroup(of: ExecResult.Status??.self) { group in
            group.addTask { .some(try? await task.value) }
            group.addTask {
                // A deadline for a process that ignores SIGTERM, not a synchronization: exits end the wait.
                try? await Task.sleep(for: gracePeriod)
                return nil
            }
            let first = await group.next()!
            group.cancelAll()
            return first
        }
        if let exited { return exited }
        task.cancel()  // Subprocess's teardown: SIGTERM again, then SIGKILL to the group
        return try? await task.value
    }

    public var description: String {
        "`\(command.joined(separator: " "))` in \(host.name) (pid \(pid))"
    }

    private var stderrSuffix: String {
        let text = standardError.trimmingTrailingNewlines
        return text.isEmpty ? "" : "; stderr:\n\(text)"
    }
}

