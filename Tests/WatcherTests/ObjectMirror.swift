import Foundation
import ServiceModel
import Watcher

/// What a consumer of an `ObjectSource` holds, built from the events it delivers; tests await conditions on it
/// (with a deadline) instead of sleeping.
actor ObjectMirror {
    struct State: Sendable {
        var objects: [ObjectReference: KubernetesObject] = [:]
        var syncedCount = 0
        /// How many objects the consumer held when `synced` arrived.
        var objectsAtSync: Int?
        var deletions: [ObjectReference] = []
        var eventCount = 0
    }

    private(set) var state = State()
    private var waiters: [UUID: (condition: @Sendable (State) -> Bool, continuation: CheckedContinuation<Bool, Never>)] = [:]

    func apply(_ events: [ObjectEvent]) {
        for event in events {
            state.eventCount += 1
            switch event {
            case .added(let object), .modified(let object): state.objects[object.reference] = object
            case .deleted(let object):
                state.objects.removeValue(forKey: object.reference)
                state.deletions.append(object.reference)
            case .synced:
                state.syncedCount += 1
                if state.objectsAtSync == nil { state.objectsAtSync = state.objects.count }
            }
        }
        for (id, waiter) in waiters where waiter.condition(state) {
            waiters.removeValue(forKey: id)
            waiter.continuation.resume(returning: true)
        }
    }

    /// True once `condition` holds; false if it did not within `timeout`.
    func wait(timeout: Duration = .seconds(30), until condition: @escaping @Sendable (State) -> Bool) async -> Bool {
        if condition(state) { return true }
        let id = UUID()
        let timer = Task { [weak self] in
            try await Task.sleep(for: timeout)
            await self?.expire(id)
        }
        defer { timer.cancel() }
        return await withCheckedContinuation { continuation in
            waiters[id] = (condition, continuation)
        }
    }

    private func expire(_ id: UUID) {
        waiters.removeValue(forKey: id)?.continuation.resume(returning: false)
    }

    /// Waits until this mirror holds exactly `expected`.
    func waitForEquality(with expected: [ObjectReference: KubernetesObject], timeout: Duration = .seconds(30)) async -> Bool {
        await wait(timeout: timeout) { $0.objects == expected && $0.syncedCount == 1 }
    }
}

/// Runs an `APIServerSource` against a fake server for the duration of `body`, feeding an `ObjectMirror`.
enum SourceRun {
    static func testSettings(pageSize: Int = 500) -> APIServerSource.Settings {
        var settings = APIServerSource.Settings()
        settings.pageSize = pageSize
        settings.backoff = Backoff(initial: .milliseconds(2), maximum: .milliseconds(50), jitter: 0.5)
        settings.watchTimeoutSeconds = 60...120
        settings.requestTimeout = .seconds(10)
        return settings
    }

    static func with<T: Sendable>(
        client: APIClient, nodeName: String = "node-a", settings: APIServerSource.Settings = testSettings(),
        logger: Logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }),
        _ body: (ObjectMirror) async throws -> T
    ) async throws -> T {
        let mirror = ObjectMirror()
        let source = APIServerSource(client: client, nodeName: nodeName, settings: settings, logger: logger)
        let task = Task { try await source.run { await mirror.apply($0) } }
        do {
            let result = try await body(mirror)
            task.cancel()
            _ = try? await task.value
            await client.transport.shutdown()
            return result
        } catch {
            task.cancel()
            _ = try? await task.value
            await client.transport.shutdown()
            throw error
        }
    }
}

import Logging

/// Strings appended from any thread (log records).
final class LockedStrings: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [String] = []

    func append(_ value: String) { lock.withLock { storage.append(value) } }
    var values: [String] { lock.withLock { storage } }
}
