import Foundation
import Synchronization

/// Ends a response body that goes silent: the API server sends a watch that asked for bookmarks at least a
/// bookmark a minute, so minutes without a byte mean the connection is dead without anyone having closed it
/// (half-open TCP, a stuck load balancer) and the watch must be replaced.
///
/// Works the same over every transport: it watches the body's chunks, not the socket. URLSession's and
/// async-http-client's own idle timeouts (11 minutes) stay as a backstop above the watch's `timeoutSeconds`.
enum IdleWatchdog {
    /// The chunks of `body`, as they arrive; the stream throws `error` once no chunk has arrived for `idleLimit`,
    /// and stops reading `body` (which cancels the request) when it ends or its consumer stops.
    static func guarding(
        _ body: AsyncThrowingStream<Data, any Error>, idleLimit: Duration, error: any Error
    ) -> AsyncThrowingStream<Data, any Error> {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: Data.self)
        let lastActivity = LastActivity()
        let pump = Task {
            do {
                for try await chunk in body {
                    lastActivity.touch()
                    continuation.yield(chunk)
                }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        let watchdog = Task {
            var deadline = lastActivity.instant + idleLimit
            while true {
                do { try await Task.sleep(until: deadline, clock: .continuous) } catch { return }
                // A chunk arrived meanwhile: wait until its own deadline.
                let next = lastActivity.instant + idleLimit
                if next > deadline {
                    deadline = next
                    continue
                }
                continuation.finish(throwing: error)
                pump.cancel()
                return
            }
        }
        continuation.onTermination = { _ in
            pump.cancel()
            watchdog.cancel()
        }
        return stream
    }

    /// When the last chunk arrived, shared by the pump and the watchdog.
    private final class LastActivity: Sendable {
        private let value = Mutex(ContinuousClock.now)

        var instant: ContinuousClock.Instant { value.withLock { $0 } }

        func touch() { value.withLock { $0 = .now } }
    }
}
