import Foundation
import Logging
import ProxyTesting
import ServiceModel
import Synchronization
import Testing
import Watcher

/// The API server source against what goes wrong for real: hostile objects, stalled connections, and an API
/// server that answers 410 Gone again and again. Real HTTP against the fake API server.
@Suite("Following the API server through hostile input and stalls")
struct WatchHardeningTests {
    static let serviceWatches: @Sendable (String) -> Bool = { $0.hasPrefix("GET /api/v1/services?") && $0.contains("watch=1") }

    /// A Service whose unknown field `x` nests `arrays` arrays: 200 KB that once overflowed the reader's stack.
    static func deepService(_ name: String, arrays: Int = 50_000) -> Data {
        Data((#"{"apiVersion":"v1","kind":"Service","metadata":{"name":"\#(name)","namespace":"default","resourceVersion":"1"},"x":"#
            + String(repeating: "[", count: arrays) + String(repeating: "]", count: arrays) + "}").utf8)
    }

    static func capturingErrors() -> (Logger, LockedStrings) {
        let errors = LockedStrings()
        let logger = Logger(label: "test") { _ in
            CapturingLogHandler { level, message in if level == .error { errors.append(message) } }
        }
        return (logger, errors)
    }

    @Test func aDeeplyNestedObjectInAListOrAWatchIsNamedAndSkippedAndTheWatchGoesOn() async throws {
        try await FakeAPIServer.with { server in
            try await server.put([.node(Fixtures.node("node-a")), APIServerSourceTests.service("web")])
            await server.putRaw(APIServerSourceTests.service("evil-list", ip: 40), json: Self.deepService("evil-list"))
            let (logger, errors) = Self.capturingErrors()
            let evil: Set<String> = ["evil-list", "evil-watch"]
            try await SourceRun.with(client: try APIServerSourceTests.plainClient(server), logger: logger) { mirror in
                func expected() async -> [ObjectReference: KubernetesObject] {
                    APIServerSourceTests.visible(await server.objects()).filter { !evil.contains($0.key.key.name) }
                }
                // The list is decoded but for the deep item, which is named; the node syncs with the rest.
                #expect(await mirror.waitForEquality(with: await expected()))
                let column = #"{"apiVersion":"v1","kind":"Service","metadata":{"name":"evil-list","namespace":"default","resourceVersion":"1"},"x":"#.utf8.count + 512
                #expect(errors.values.contains {
                    $0.hasPrefix("list of Services") && $0.hasSuffix("Service default/evil-list: invalid JSON: line 1, column \(column): objects and arrays nested more than 512 deep; ignoring this object")
                }, "\(errors.values)")

                // The same in a watch event: named, skipped, and the watch delivers what follows.
                await server.putRaw(APIServerSourceTests.service("evil-watch", ip: 41), json: Self.deepService("evil-watch"))
                try await server.put(APIServerSourceTests.service("api", ip: 3))
                #expect(await mirror.waitForEquality(with: await expected()))
                #expect(errors.values.contains {
                    $0.hasPrefix("watch of Services") && $0.contains("Service default/evil-watch: invalid JSON: line 1, column ")
                        && $0.hasSuffix("objects and arrays nested more than 512 deep; ignoring this event")
                }, "\(errors.values)")
            }
        }
    }

    /// A watch that receives nothing (not even the bookmarks it asked for) is replaced, resuming from its last
    /// resourceVersion without a relist, over either transport. The idle limit is shortened; the replacement
    /// is awaited as the fake server's request, and the change the stalled watch never carried as an event.
    @Test(arguments: [APITransportKind.urlSession, .asyncHTTPClient])
    func aStalledWatchIsReplacedFromItsLastResourceVersion(transport: APITransportKind) async throws {
        try await FakeAPIServer.with { server in
            try await server.put([.node(Fixtures.node("node-a")), APIServerSourceTests.service("web")])
            var settings = SourceRun.testSettings()
            settings.watchIdleTimeout = .milliseconds(500)
            let client = try APIServerSourceTests.plainClient(server, transport: transport)
            #expect(client.transport.kind == transport)
            try await SourceRun.with(client: client, settings: settings) { mirror in
                #expect(await mirror.waitForEquality(with: APIServerSourceTests.visible(await server.objects())))
                #expect(await server.waitForRequests(1, matching: Self.serviceWatches))
                let lists = await server.listRequestCount
                let watches = await server.requestLog.filter(Self.serviceWatches).count
                let version = await server.resourceVersion

                await server.stallWatches()
                try await server.put(APIServerSourceTests.service("api", ip: 3))
                // Only a new watch carries the change; it resumes from where the stalled one was.
                #expect(await server.waitForRequests(watches + 1, matching: Self.serviceWatches))
                #expect(await mirror.waitForEquality(with: APIServerSourceTests.visible(await server.objects())))
                let resumed = await server.requestLog.filter(Self.serviceWatches).dropFirst(watches)
                #expect(resumed.first?.contains("resourceVersion=\(version)") == true, "\(resumed)")
                #expect(await server.listRequestCount == lists, "resumed without a relist")
            }
        }
    }

    /// Delays asked of `Settings.sleep`, returned at once: the backoff is asserted without waiting for it.
    final class RecordedSleeps: Sendable {
        private let delays = Mutex<[Duration]>([])
        var values: [Duration] { delays.withLock { $0 } }
        func record(_ delay: Duration) { delays.withLock { $0.append(delay) } }
    }

    @Test func watchesAnsweredWithGoneAgainAndAgainRelistWithBackoff() async throws {
        try await FakeAPIServer.with { server in
            try await server.put([.node(Fixtures.node("node-a")), APIServerSourceTests.service("web")])
            let sleeps = RecordedSleeps()
            var settings = SourceRun.testSettings()
            settings.backoff = Backoff(initial: .milliseconds(800), maximum: .seconds(30), jitter: 1.0)
            settings.sleep = { sleeps.record($0) }
            let gone = 8
            await server.answerWatchesWithGone(gone)
            let client = try APIServerSourceTests.plainClient(server)
            let source = APIServerSource(
                client: client, resources: [WatchedResource(kind: .service, path: "/api/v1/services")], settings: settings,
                logger: APIServerSourceTests.quiet)
            let mirror = ObjectMirror()
            let task = Task { try await source.run { await mirror.apply($0) } }
            defer { task.cancel() }
            func services() async -> [ObjectReference: KubernetesObject] { (await server.objects()).filter { $0.key.kind == .service } }

            // Every 410 relists after a delay that doubles from 0.8 s (each stretched by up to 100 % jitter) to the
            // 30 s cap; the ninth watch is served.
            #expect(await server.waitForRequests(gone + 1, matching: Self.serviceWatches))
            try await server.put(APIServerSourceTests.service("api", ip: 3))
            #expect(await mirror.waitForEquality(with: await services()))
            #expect(await server.listRequestCount == 1 + gone)
            let delays = sleeps.values
            #expect(delays.count == gone, "\(delays)")
            let bases: [Duration] = [.milliseconds(800), .milliseconds(1600), .milliseconds(3200), .milliseconds(6400), .milliseconds(12_800), .milliseconds(25_600), .seconds(30), .seconds(30)]
            for (delay, base) in zip(delays, bases) {
                #expect(delay >= base && delay <= min(base * 2, .seconds(30)), "\(delay) after base \(base)")
            }

            // A watch that worked resets the backoff: the next 410 relists after the initial delay again.
            await server.sendGoneToWatches()
            #expect(await server.waitForRequests(gone + 2, matching: Self.serviceWatches))
            #expect(await server.listRequestCount == 2 + gone)
            let reset = try #require(sleeps.values.dropFirst(gone).first)
            #expect(reset >= .milliseconds(800) && reset <= .milliseconds(1600), "\(reset)")

            task.cancel()
            _ = try? await task.value
            await client.transport.shutdown()
        }
    }
}
