import Subprocess
import Synchronization

/// What a running ``LabProcess`` printed so far, and waiters for a line to appear.
final class ProcessOutputLog: Sendable {
    /// Kept for diagnostics only; a chatty process must not grow the test's memory without bound.
    static let retainedStderrBytes = 64 * 1024
    static let retainedStdoutLines = 10_000

    private struct Waiter {
        let predicate: @Sendable (String) -> Bool
        let continuation: CheckedContinuation<String?, Never>
    }

    private struct State {
        var lines: [String] = []
        var stderr = ""
        var finished = false
        var waiters: [Int: Waiter] = [:]
        var cancelledWaiters: Set<Int> = []
        var nextWaiterID = 0
    }

    private let state = Mutex(State())

    var stdoutLines: [String] { state.withLock { $0.lines } }
    var stderrText: String { state.withLock { $0.stderr } }

    enum Stream { case stdout, stderr }

    /// Reads a stream to its end; never throws (a read error just ends the log of that stream).
    func consume(_ sequence: SubprocessOutputSequence, _ stream: Stream) async {
        do {
            for try await line in sequence.strings() {
                switch stream {
                case .stdout: append(line: line)
                case .stderr: append(stderr: line)
                }
            }
        } catch {
            if stream == .stderr || !(error is CancellationError) { append(stderr: "[lab: reading \(stream): \(error)]") }
        }
    }

    private func append(line: String) {
        state.withLock { state in
            if state.lines.count < Self.retainedStdoutLines { state.lines.append(line) }
            for (id, waiter) in state.waiters where waiter.predicate(line) {
                state.waiters.removeValue(forKey: id)
                waiter.continuation.resume(returning: line)
            }
        }
    }

    private func append(stderr line: String) {
        state.withLock { state in
            state.stderr += line + "\n"
            if state.stderr.utf8.count > Self.retainedStderrBytes {
                state.stderr = String(state.stderr.suffix(Self.retainedStderrBytes / 2))
            }
        }
    }

    /// No more lines will come: every waiter gets nil.
    func finish() {
        state.withLock { state in
            state.finished = true
            for waiter in state.waiters.values { waiter.continuation.resume(returning: nil) }
            state.waiters.removeAll()
        }
    }

    /// The first stdout line (already printed or still to come) matching `predicate`; nil if the process
    /// finished without printing one or the calling task was cancelled.
    func firstLine(where predicate: @escaping @Sendable (String) -> Bool) async -> String? {
        let id = state.withLock { state in
            state.nextWaiterID += 1
            return state.nextWaiterID
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                state.withLock { state in
                    if let line = state.lines.first(where: predicate) {
                        continuation.resume(returning: line)
                    } else if state.finished || state.cancelledWaiters.remove(id) != nil {
                        continuation.resume(returning: nil)
                    } else {
                        state.waiters[id] = Waiter(predicate: predicate, continuation: continuation)
                    }
                }
            }
        } onCancel: {
            state.withLock { state in
                if let waiter = state.waiters.removeValue(forKey: id) {
                    waiter.continuation.resume(returning: nil)
                } else {
                    state.cancelledWaiters.insert(id)
                }
            }
        }
    }
}
