import Backends
import Logging
import ProxyRuntime
import ProxyTesting
import ServiceModel
import Testing

/// The sync runner's timing with a manual clock: coalescing within min-sync-period, the periodic check after a quiet
/// sync period, the backend's full-resync period (also while changes keep coming), and full syncs after failures.
@Suite struct SyncRunnerTests {
    static let node = "node-a"
    static let settings = SyncRunner<ManualClock>.Settings(minSyncPeriod: .seconds(1), syncPeriod: .seconds(30))

    /// A runner over `backend`, started, with the reports it makes; cancelled and awaited at the end of `body`.
    func withRunner(
        _ backend: RecordingBackend,
        _ body: (ManualClock, SyncRunner<ManualClock>, inout AsyncStream<SyncReport>.Iterator) async throws -> Void
    ) async throws {
        let clock = ManualClock()
        let (reports, continuation) = AsyncStream.makeStream(of: SyncReport.self)
        let runner = SyncRunner(
            backend: backend, configuration: ProxyConfiguration(nodeName: Self.node, nodePortAddresses: []),
            settings: Self.settings, clock: clock, localAddresses: { ["192.168.1.10"] }, hostFamilies: [.ipv4],
            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        ) { event in
            if case .synced(let report) = event { continuation.yield(report) }
        }
        let task = Task { await runner.run() }
        defer { task.cancel() }
        var iterator = reports.makeAsyncIterator()
        try await body(clock, runner, &iterator)
        task.cancel()
        await task.value
    }

    /// The Service `default/web` with `endpoints` ready endpoints.
    static func web(endpoints: Int) -> [ObjectEvent] {
        [
            .modified(.service(Fixtures.service("default/web"))),
            .modified(.endpointSlice(Fixtures.slice(
                "default/web-1", service: "web", endpoints: (0..<endpoints).map { .ready("10.244.0.\($0 + 2)", node: node) }))),
        ]
    }

    static var initialList: [ObjectEvent] {
        [.added(.node(Fixtures.node(node)))] + web(endpoints: 1) + [.synced]
    }

    static func next(_ reports: inout AsyncStream<SyncReport>.Iterator) async throws -> SyncReport {
        try #require(await reports.next())
    }

    @Test func theFullResyncComesWhenDueAlsoWhileChangesKeepComing() async throws {
        let backend = RecordingBackend(resync: ResyncPolicy(periodic: .verify, fullSyncPeriod: .seconds(60)))
        try await withRunner(backend) { clock, runner, reports in
            await runner.receive(Self.initialList)
            #expect(try await Self.next(&reports).isFull)
            // A change every 10 s, more often than the sync period: each is a partial sync until the last full one
            // is a full-sync period old.
            var kinds: [String] = []
            for change in 1...7 {
                clock.advance(by: .seconds(10))
                await runner.receive(Self.web(endpoints: 1 + change))
                let report = try await Self.next(&reports)
                #expect(report.succeeded)
                kinds.append(report.isFull ? "full" : "partial")
            }
            #expect(kinds == ["partial", "partial", "partial", "partial", "partial", "full", "partial"])
        }
    }

    @Test func aQuietSyncPeriodAsksTheBackendToVerify() async throws {
        let backend = RecordingBackend(resync: ResyncPolicy(periodic: .verify, fullSyncPeriod: .seconds(3600)))
        try await withRunner(backend) { clock, runner, reports in
            await runner.receive(Self.initialList)
            _ = try await Self.next(&reports)
            clock.advance(by: .seconds(30))
            let periodic = try await Self.next(&reports)
            #expect(!periodic.isFull)
            #expect(periodic.succeeded && periodic.transaction.isEmpty)
            #expect(await backend.requests.map(\.kind) == ["full", "verify"])
        }
    }

    @Test func aBackendWhosePeriodicSyncsAreFullGetsFullOnes() async throws {
        let backend = RecordingBackend(resync: ResyncPolicy(periodic: .full, fullSyncPeriod: .seconds(3600)))
        try await withRunner(backend) { clock, runner, reports in
            await runner.receive(Self.initialList)
            _ = try await Self.next(&reports)
            clock.advance(by: .seconds(30))
            #expect(try await Self.next(&reports).isFull)
            #expect(await backend.requests.map(\.kind) == ["full", "full"])
        }
    }

    @Test func changesWithinTheMinSyncPeriodJoinOneSync() async throws {
        let backend = RecordingBackend(resync: ResyncPolicy(periodic: .verify, fullSyncPeriod: .seconds(3600)))
        try await withRunner(backend) { clock, runner, reports in
            await runner.receive(Self.initialList)
            _ = try await Self.next(&reports)
            await runner.receive(Self.web(endpoints: 2))
            await runner.receive([.added(.service(Fixtures.service("default/api", clusterIP: "10.96.0.11")))])
            clock.advance(by: .seconds(1))
            let report = try await Self.next(&reports)
            #expect(!report.isFull)
            #expect(report.changedServices == 2)
            #expect(await backend.requests.map(\.kind) == ["full", "changes"])
        }
    }

    @Test func aFailedSyncIsRetriedInFullAfterTheMinSyncPeriod() async throws {
        let backend = RecordingBackend(resync: ResyncPolicy(periodic: .verify, fullSyncPeriod: .seconds(3600)))
        try await withRunner(backend) { clock, runner, reports in
            await runner.receive(Self.initialList)
            _ = try await Self.next(&reports)
            await backend.failNext()
            clock.advance(by: .seconds(5))
            await runner.receive(Self.web(endpoints: 2))
            let failed = try await Self.next(&reports)
            #expect(!failed.succeeded)
            clock.advance(by: .seconds(1))
            let retried = try await Self.next(&reports)
            #expect(retried.succeeded && retried.isFull)
            #expect(retried.changedServices == 1, "the failed sync's changes are still pending")
            #expect(await backend.requests.map(\.kind) == ["full", "changes", "full"])
        }
    }

    @Test(.timeLimit(.minutes(1))) func theBackendsMaintenanceRunsBetweenSyncsWhileItHasSome() async throws {
        let backend = RecordingBackend(
            resync: ResyncPolicy(periodic: .verify, fullSyncPeriod: .seconds(3600)), pendingMaintenance: 2, maintenanceEvery: .seconds(15))
        try await withRunner(backend) { clock, runner, reports in
            var maintenance = backend.maintenanceCalls.makeAsyncIterator()
            await runner.receive(Self.initialList)
            _ = try await Self.next(&reports)
            clock.advance(by: .seconds(15))
            #expect(await maintenance.next() != nil, "maintenance 15 s after the sync")
            clock.advance(by: .seconds(15))
            #expect(try await Self.next(&reports).transaction.isEmpty, "the periodic check, due at the same time, comes first")
            clock.advance(by: .seconds(15))
            #expect(await maintenance.next() != nil, "maintenance 15 s after the periodic sync")
            clock.advance(by: .seconds(15))
            #expect(try await Self.next(&reports).succeeded, "the next periodic check: no maintenance left to wait for")
            #expect(await backend.requests.map(\.kind) == ["full", "verify", "verify"])
        }
    }

    @Test func nothingIsSyncedBeforeTheSourceIsSynced() async throws {
        let backend = RecordingBackend(resync: ResyncPolicy(periodic: .verify, fullSyncPeriod: .seconds(3600)))
        try await withRunner(backend) { clock, runner, reports in
            await runner.receive([.added(.node(Fixtures.node(Self.node)))] + Self.web(endpoints: 1))
            clock.advance(by: .seconds(120))
            await runner.receive([.synced])
            let first = try await Self.next(&reports)
            #expect(first.isFull)
            #expect(await backend.requests.map(\.kind) == ["full"])
        }
    }
}
