import Foundation
import Logging
import ServiceModel

/// The cluster as the API server tells it: lists and watches Services and EndpointSlices (kube-proxy's label
/// selector) and this node's Node, and delivers them as `ObjectEvent`s.
///
/// - Important: `synced` is delivered once, after the first complete list of every resource, and never before.
///   Batches are delivered one at a time, in order. Failures are retried inside (see `ListWatcher`); `run`
///   returns when its task is cancelled.
public struct APIServerSource: ObjectSource {
    /// Tuning; the defaults are client-go's where it has one.
    public struct Settings: Sendable {
        /// `limit` of each list page.
        public var pageSize = 500
        /// Each watch asks the server to end it after a random time in this range (seconds), spreading reconnects.
        public var watchTimeoutSeconds: ClosedRange<Int> = 300...600
        /// How long to wait for a response head.
        public var requestTimeout: Duration = .seconds(30)
        /// Waits between retries: failures, and relists after 410 Gone (reset after a watch that received events).
        public var backoff = Backoff()
        /// A server's Retry-After is honoured up to this.
        public var maximumRetryAfter: Duration = .seconds(300)
        /// A watch (which always asks for bookmarks) that receives no byte for this long is dropped and
        /// re-watched from the last resourceVersion: the API server sends a bookmark at least every minute, so
        /// such a watch is stalled (half-open TCP, a stuck load balancer). nil: no watchdog.
        public var watchIdleTimeout: Duration? = .seconds(120)
        /// How the watcher waits before a retry or relist; tests record the delays instead of waiting.
        public var sleep: @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }

        public init() {}
    }

    public let client: APIClient
    public let resources: [WatchedResource]
    public var settings: Settings
    public var logger: Logger

    public init(client: APIClient, resources: [WatchedResource], settings: Settings = Settings(), logger: Logger = Logger(label: "proxyd.apiserver")) {
        self.client = client
        self.resources = resources
        self.settings = settings
        self.logger = logger
    }

    /// What a node proxy follows: Services, EndpointSlices and the Node named `nodeName`.
    public init(
        client: APIClient, nodeName: String, serviceProxyName: String? = nil, settings: Settings = Settings(),
        logger: Logger = Logger(label: "proxyd.apiserver")
    ) {
        self.init(
            client: client, resources: WatchedResource.nodeProxy(nodeName: nodeName, serviceProxyName: serviceProxyName),
            settings: settings, logger: logger)
    }

    public func run(deliver: @escaping @Sendable ([ObjectEvent]) async -> Void) async throws {
        let (outputs, continuation) = AsyncStream.makeStream(of: ListWatcher.Output.self)
        let watchers = resources.map { ListWatcher(client: client, resource: $0, settings: settings, logger: logger) }
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await withTaskGroup(of: Void.self) { inner in
                    for watcher in watchers {
                        inner.addTask { await watcher.run { continuation.yield($0) } }
                    }
                }
                continuation.finish()
            }
            // One consumer: batches from the three watchers are delivered one at a time, in arrival order.
            var pending = Set(resources.map(\.kind))
            var synced = false
            for await output in outputs {
                var events = output.events
                if output.completesInitialList { pending.remove(output.kind) }
                if !synced && pending.isEmpty {
                    synced = true
                    events.append(.synced)
                    logger.info("synced: every initial list is complete")
                }
                if !events.isEmpty { await deliver(events) }
            }
        }
    }
}
