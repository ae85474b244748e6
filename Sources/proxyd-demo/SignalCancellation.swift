import Dispatch
import Foundation
import Glibc
import Synchronization

/// Turns SIGINT (Ctrl-C) and SIGTERM into cancellation of one task, so the demo unwinds through its cleanup
/// (`NetworkLab.with` tears the lab down on cancellation) instead of dying with namespaces and processes left.
///
/// A second signal while cleaning up is ignored: half a cleanup is worse than a slow one. `onSignal` runs after the
/// task is cancelled.
final class SignalCancellation {
    private let sources: [any DispatchSourceSignal]
    private let first: FirstSignal

    init<Success: Sendable>(cancelling task: Task<Success, any Error>, onSignal: @escaping @Sendable (Int32) -> Void) {
        let first = FirstSignal()
        self.first = first
        sources = [SIGINT, SIGTERM].map { signalNumber in
            Glibc.signal(signalNumber, SIG_IGN)  // the dispatch source sees it; the default action (exit) must not run
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler {
                guard first.record(signalNumber) else { return }
                // Cancel first: once `onSignal` has said so, the demo has stopped going on (a hold ended, too).
                task.cancel()
                onSignal(signalNumber)
            }
            source.resume()
            return source
        }
    }

    /// The first signal received, if any.
    var received: Int32? { first.value }

    /// Stops listening; the signals' default actions apply again.
    func remove() {
        for source in sources { source.cancel() }
        Glibc.signal(SIGINT, SIG_DFL)
        Glibc.signal(SIGTERM, SIG_DFL)
    }
}

/// The first signal number recorded; later ones are refused.
private final class FirstSignal: Sendable {
    private let state = Mutex<Int32?>(nil)

    var value: Int32? { state.withLock { $0 } }

    /// Records `signal` if it is the first; says whether it was.
    func record(_ signal: Int32) -> Bool {
        state.withLock { value in
            guard value == nil else { return false }
            value = signal
            return true
        }
    }
}
