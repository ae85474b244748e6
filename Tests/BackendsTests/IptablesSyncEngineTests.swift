import Backends
import ProxyTesting
import ServiceModel
import Testing

/// The sync engine's bookkeeping over iptables' renderer and the in-memory iptables (no root): partial syncs after a
/// full one, a refused partial sync failing the sync and the next one listing and replacing, a flushed table found
/// by the periodic check. `KernelTests/IptablesSyncTests` run the same paths against iptables itself.
@Suite("sync engine bookkeeping, in-memory iptables")
struct IptablesSyncEngineTests {
    static let settings = IptablesKind.settings(BackendConfiguration(mode: .iptables, iptablesFlavour: .nft))
    let harness = SyncEngineTests()

    func backend(_ kernel: FakeIptablesKernel) -> IptablesBackend {
        IptablesBackend(driver: kernel, settings: Self.settings)
    }

    /// What a fresh engine programs for `states` into empty tables.
    func reference(_ states: [DesiredState]) async throws -> [String: [String: [String]]] {
        let kernel = FakeIptablesKernel()
        _ = try await backend(kernel).sync(states, .full)
        return await kernel.tables[.ipv4]!.proxydView
    }

    @Test(arguments: 0..<10)
    func partialSyncsAfterAFullOneLeaveWhatAFullSyncWould(seed: Int) async throws {
        var cluster = RandomCluster(seed: UInt64(seed))
        let kernel = FakeIptablesKernel()
        let backend = backend(kernel)
        var last = harness.states(cluster.objects(node: SyncEngineTests.node))
        #expect(try await backend.sync(last, .full).isFull)
        for _ in 0..<4 {
            let next = harness.states(cluster.objects(node: SyncEngineTests.node))
            let result = try await backend.sync(next, .changes(harness.diffs(last, next)))
            #expect(!result.isFull, "\(result.warnings)")
            last = next
        }
        #expect(await kernel.tables[.ipv4]!.proxydView == (try await reference(last)))
    }

    @Test func aRefusedPartialSyncFailsAndTheNextSyncListsAndReplaces() async throws {
        let kernel = FakeIptablesKernel()
        let backend = backend(kernel)
        let first = harness.states(harness.services(3))
        _ = try await backend.sync(first, .full)
        await kernel.refuse(containing: "10.244.3.1")
        let second = harness.states(harness.services(4))
        do throws(BackendSyncError) {
            _ = try await backend.sync(second, .changes(harness.diffs(first, second)))
            Issue.record("a refused partial restore succeeded")
        } catch {
            #expect(error.code == .refused)
        }
        await kernel.heal()
        let result = try await backend.sync(second, .changes(harness.diffs(first, second)))
        #expect(result.isFull)
        #expect(await kernel.tables[.ipv4]!.proxydView == (try await reference(second)))
    }

    @Test func theCanaryCheckFindsAFlushedTableAndTheSyncReplacesIt() async throws {
        let kernel = FakeIptablesKernel()
        let backend = backend(kernel)
        let current = harness.states(harness.services(3))
        _ = try await backend.sync(current, .full)
        #expect(try await backend.sync(current, .verify).transaction.isEmpty)
        await kernel.flush("nat", family: .ipv4)
        let repaired = try await backend.sync(current, .verify)
        #expect(repaired.isFull)
        #expect(await kernel.tables[.ipv4]!.proxydView == (try await reference(current)))
    }
}
