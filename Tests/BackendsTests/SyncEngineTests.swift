import Backends
import ProxyTesting
import ServiceModel
import Testing

/// The sync engine's bookkeeping over nftables' renderer and the in-memory kernel (no root): partial syncs after a
/// full one, full syncs after a refusal or a failure, refused Service ports left out, the periodic check.
/// `KernelTests/Nftables…` run the same paths against the kernel.
@Suite("sync engine bookkeeping, in-memory nftables")
struct SyncEngineTests {
    static let node = Fixtures.node("node-a", addresses: ["192.168.1.10"])
    static let configuration = ProxyConfiguration(nodeName: "node-a", clusterCIDRs: ["10.244.0.0/16"])

    func states(_ objects: [KubernetesObject]) -> [DesiredState] {
        let snapshot = ClusterSnapshot(objects)
        let context = NodeContext(snapshot: snapshot, nodeName: "node-a", localAddresses: [])
        return [ProxyModel(configuration: Self.configuration).desiredState(for: .ipv4, snapshot: snapshot, node: context).state]
    }

    func diffs(_ before: [DesiredState], _ after: [DesiredState]) -> [DesiredStateDiff] {
        zip(before, after).map { DesiredStateDiff(from: $0, to: $1) }
    }

    /// `count` Services `svc0…`, each with `endpoints` ready endpoints.
    func services(_ count: Int, endpoints: Int = 1) -> [KubernetesObject] {
        [.node(Self.node)]
            + (0..<count).flatMap { i -> [KubernetesObject] in
                [
                    .service(Fixtures.service("svc\(i)", clusterIP: "10.96.0.\(i + 1)")),
                    .endpointSlice(Fixtures.slice(
                        "default/svc\(i)-1", service: "svc\(i)",
                        endpoints: (0..<endpoints).map { .ready("10.244.\(i).\($0 + 1)") })),
                ]
            }
    }

    /// A Service port whose rules the kernel refuses (an affinity timeout nft does not take; `refuse(containing:)`).
    func refusable(_ states: [DesiredState], clusterIP: IPAddress) -> [DesiredState] {
        var states = states
        let port = ServicePort(
            name: ServicePortName(service: ObjectKey(namespace: "default", name: "bad"), port: "http", protocol: .tcp),
            clusterIP: clusterIP, port: 80, sessionAffinity: .clientIP(timeoutSeconds: 9_999_999_999_999),
            clusterEndpoints: [ServiceEndpoint(address: "10.244.99.1", port: 8080)], hasAnyEndpoints: true)
        states[0].services[port.name.service] = [port]
        return states
    }

    /// What a fresh engine programs for `states` into an empty kernel: the reference content.
    func reference(_ states: [DesiredState]) async throws -> [String: FakeNftablesKernel.Table] {
        let kernel = FakeNftablesKernel()
        _ = try await NftablesBackend(driver: kernel).sync(states, .full)
        return await kernel.tables
    }

    @Test(arguments: 0..<20)
    func partialSyncsAfterAFullOneLeaveWhatAFullSyncWould(seed: Int) async throws {
        var cluster = RandomCluster(seed: UInt64(seed))
        let kernel = FakeNftablesKernel()
        let backend = NftablesBackend(driver: kernel)
        var last = states(cluster.objects(node: Self.node))
        #expect(try await backend.sync(last, .full).isFull)
        for _ in 0..<4 {
            let next = states(cluster.objects(node: Self.node))
            let result = try await backend.sync(next, .changes(diffs(last, next)))
            #expect(!result.isFull, "\(result.warnings)")
            last = next
        }
        #expect(await kernel.tables == (try await reference(last)))
    }

    @Test func aPartialSyncSendsOnlyWhatChanged() async throws {
        let kernel = FakeNftablesKernel()
        let backend = NftablesBackend(driver: kernel)
        let before = states(services(50))
        _ = try await backend.sync(before, .full)
        let after = states(services(50, endpoints: 2))
        let result = try await backend.sync(after, .changes(diffs(before, after)))
        #expect(!result.isFull)
        let partial = try #require(await kernel.applied.last)
        #expect(!partial.isFull)
        #expect(!partial.text.contains("flush table"))
        #expect(await kernel.tables == (try await reference(after)))
    }

    @Test func aPartialSyncTheKernelRefusesIsAnsweredWithAFullOneThatLeavesTheRefusedPortOut() async throws {
        let kernel = FakeNftablesKernel()
        let backend = NftablesBackend(driver: kernel)
        let good = states(services(3))
        _ = try await backend.sync(good, .full)
        await kernel.refuse(containing: "9999999999999")
        let withBad = refusable(good, clusterIP: "10.96.0.200")
        let result = try await backend.sync(withBad, .changes(diffs(good, withBad)))
        #expect(result.isFull)
        #expect(result.refusedServicePorts.map(\.description) == [
            "Service default/bad port http (IPv4): the kernel refused its rules: value too large; not programmed"
        ])
        #expect(result.warnings.contains { $0.hasPrefix("the kernel refused a partial sync (value too large)") }, "\(result.warnings)")
        // Everything else is programmed: what a kernel without the refused port holds.
        #expect(await kernel.tables == (try await reference(good)))
        // The next change is partial again, and the refused port stays out while it is unchanged.
        let more = refusable(states(services(4)), clusterIP: "10.96.0.200")
        let next = try await backend.sync(more, .changes(diffs(withBad, more)))
        #expect(!next.isFull)
        #expect(next.refusedServicePorts.count == 1)
        #expect(await kernel.tables == (try await reference(states(services(4)))))
    }

    @Test func aFullSyncFindsTheOneRefusedPortAmongManyByBisection() async throws {
        let kernel = FakeNftablesKernel()
        await kernel.refuse(containing: "9999999999999")
        let backend = NftablesBackend(driver: kernel)
        let withBad = refusable(states(services(64)), clusterIP: "10.96.0.200")
        let result = try await backend.sync(withBad, .full)
        #expect(result.refusedServicePorts.map(\.name.service.name) == ["bad"])
        #expect(await kernel.tables == (try await reference(states(services(64)))))
        // Halving, not one check per port: about two per level of a 65-port search.
        let checks = await kernel.checks
        #expect(checks < 30, "\(checks) checks")
    }

    @Test func afterAFailedSyncTheNextIsFull() async throws {
        let kernel = FakeNftablesKernel()
        let backend = NftablesBackend(driver: kernel)
        let first = states(services(3))
        _ = try await backend.sync(first, .full)
        await kernel.fail(with: NftablesError(code: .permissionDenied, message: "Operation not permitted"))
        let second = states(services(4))
        do throws(BackendSyncError) {
            _ = try await backend.sync(second, .changes(diffs(first, second)))
            Issue.record("the sync succeeded while the kernel refused everything")
        } catch {
            #expect(error.code == .unavailable)
        }
        await kernel.heal()
        let third = states(services(5))
        // The runner asks for changes since the last successful sync; the engine no longer trusts what it committed.
        let result = try await backend.sync(third, .changes(diffs(second, third)))
        #expect(result.isFull)
        #expect(await kernel.tables == (try await reference(third)))
    }

    @Test func theCheckFindsADeletedTableAndTheSyncReplacesIt() async throws {
        let kernel = FakeNftablesKernel()
        let backend = NftablesBackend(driver: kernel)
        let current = states(services(3))
        _ = try await backend.sync(current, .full)
        let quiet = try await backend.sync(current, .verify)
        #expect(!quiet.isFull && quiet.transaction.isEmpty)
        await kernel.deleteTable("ip proxyd")
        let repaired = try await backend.sync(current, .verify)
        #expect(repaired.isFull)
        #expect(repaired.warnings.contains { $0.contains("no longer holds what proxyd committed") }, "\(repaired.warnings)")
        #expect(await kernel.tables == (try await reference(current)))
    }
}
