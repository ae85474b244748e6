import Foundation
import ServiceModel

/// The cluster's complete state at one moment, for the one-shot commands (`--once`, `--dry-run`): runs a source
/// until it reports `synced`, then stops it.
public enum InitialClusterState {
    public struct TimedOut: Error, CustomStringConvertible {
        public var timeout: Duration
        public var description: String {
            "no complete list of Services, EndpointSlices and the Node within \(timeout); the errors above say why"
        }
    }

    /// The synced snapshot `source` reports first.
    ///
    /// - Throws: `TimedOut` when the source has not synced within `timeout`; whatever the source throws.
    public static func load(from source: some ObjectSource, timeout: Duration) async throws -> ClusterSnapshot {
        let collector = Collector()
        let (syncedSignal, signal) = AsyncStream.makeStream(of: Void.self)
        return try await withThrowingTaskGroup(of: ClusterSnapshot?.self) { group in
            group.addTask {
                try await source.run { events in
                    if await collector.apply(events) { signal.yield() }
                }
                return nil
            }
            group.addTask {
                for await _ in syncedSignal { return await collector.snapshot }
                return nil
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                throw TimedOut(timeout: timeout)
            }
            defer { group.cancelAll() }
            while let result = try await group.next() {
                if let snapshot = result { return snapshot }
            }
            throw CancellationError()
        }
    }

    private actor Collector {
        var snapshot = ClusterSnapshot()

        /// Applies the events; true when they completed the initial state.
        func apply(_ events: [ObjectEvent]) -> Bool {
            for event in events { _ = snapshot.apply(event) }
            return events.contains(.synced)
        }
    }
}
