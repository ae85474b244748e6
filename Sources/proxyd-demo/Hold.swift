import Foundation
import Synchronization

/// `--hold`: the demo stops once its namespaces exist and again before each step, until a line (Enter) or the end
/// arrives on standard input — time to look around with `ip netns` and `nft`, and the point where a test observes the
/// demo's namespaces, or interrupts it, while they surely exist.
///
/// Each hold first prints one line starting with ``marker``, so whoever reads the output knows the demo now waits.
/// Ctrl-C (SIGINT) or SIGTERM at a hold interrupts the demo as anywhere else: the wait ends with `CancellationError`.
struct Hold: Sendable {
    static let marker = "⏸ "

    let narrator: Narrator

    /// Prints `⏸ <what>: press Enter to go on.` and waits for a line on standard input, or its end.
    ///
    /// - Throws: `CancellationError` when the task is cancelled (by a signal) first.
    func wait(_ what: String) async throws {
        narrator.line(Self.marker + what + ": press Enter to go on.")
        try await Self.nextInputLine()
    }

    /// Waits for the next line of standard input (or its end) on a thread of its own, since the read blocks and must
    /// not hold one of the few cooperative threads; cancellation ends the wait at once and leaves the read behind.
    private static func nextInputLine() async throws {
        try Task.checkCancellation()
        let wait = InputWait()
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                wait.install(continuation)
                Thread.detachNewThread {
                    _ = readLine()
                    wait.finish(.success(()))
                }
            }
        } onCancel: {
            wait.finish(.failure(CancellationError()))
        }
    }
}

/// One wait for an input line: its outcome decided once, by the line or by cancellation, whichever comes first.
private final class InputWait: Sendable {
    private struct State {
        var continuation: CheckedContinuation<Void, any Error>?
        var outcome: Result<Void, any Error>?
    }

    private let state = Mutex(State())

    func install(_ continuation: CheckedContinuation<Void, any Error>) {
        let decided = state.withLock { state -> Result<Void, any Error>? in
            if state.outcome == nil { state.continuation = continuation }
            return state.outcome
        }
        if let decided { continuation.resume(with: decided) }
    }

    func finish(_ outcome: Result<Void, any Error>) {
        let waiting = state.withLock { state -> CheckedContinuation<Void, any Error>? in
            guard state.outcome == nil else { return nil }
            state.outcome = outcome
            defer { state.continuation = nil }
            return state.continuation
        }
        waiting?.resume(with: outcome)
    }
}
