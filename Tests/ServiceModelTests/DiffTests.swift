import ProxyTesting
import ServiceModel
import Testing

@Suite("Desired-state diffs and incremental computation")
struct DiffTests {
    func state(_ objects: [KubernetesObject]) -> DesiredState {
        let snapshot = ClusterSnapshot(objects)
        let model = ProxyModel(configuration: ModelHarness.configuration)
        let node = NodeContext(snapshot: snapshot, nodeName: "node-a", localAddresses: [])
        return model.desiredState(for: .ipv4, snapshot: snapshot, node: node).state
    }

    @Test(arguments: 0..<200)
    func applyingTheDiffToTheOldStateGivesTheNewState(seed: Int) {
        var cluster = RandomCluster(seed: UInt64(seed))
        let old = state(cluster.objects(node: ModelHarness.node))
        let new = state(cluster.objects(node: ModelHarness.node))
        let diff = DesiredStateDiff(from: old, to: new)
        #expect(diff.applied(to: old) == new)
        #expect(DesiredStateDiff(from: new, to: new).isEmpty)
    }

    @Test(arguments: 0..<100)
    func incrementalUpdatesEqualAFullComputation(seed: Int) {
        var cluster = RandomCluster(seed: UInt64(seed))
        var snapshot = ClusterSnapshot(cluster.objects(node: ModelHarness.node))
        let model = ProxyModel(configuration: ModelHarness.configuration)
        let node = NodeContext(snapshot: snapshot, nodeName: "node-a", localAddresses: [])
        var incremental = model.desiredState(for: .ipv4, snapshot: snapshot, node: node).state
        for _ in 0..<5 {
            // Replace the cluster's objects with another random set through events, as a source would.
            let next = Dictionary(cluster.objects(node: ModelHarness.node).map { ($0.reference, $0) }, uniquingKeysWith: { $1 })
            var current: [ObjectReference: KubernetesObject] = [:]
            for (key, value) in snapshot.services { current[ObjectReference(kind: .service, key: key)] = .service(value) }
            for (key, value) in snapshot.endpointSlices { current[ObjectReference(kind: .endpointSlice, key: key)] = .endpointSlice(value) }
            for value in snapshot.nodes.values { current[KubernetesObject.node(value).reference] = .node(value) }
            var changed = Set<ObjectKey>()
            for (reference, object) in next where current[reference] != object {
                changed.formUnion(snapshot.apply(current[reference] == nil ? .added(object) : .modified(object)).services)
            }
            for (reference, object) in current where next[reference] == nil {
                changed.formUnion(snapshot.apply(.deleted(object)).services)
            }
            let before = incremental
            // What the runner calls: the update in place, and the diff it returns is what partial syncs apply.
            let diff = model.update(&incremental, services: changed, snapshot: snapshot, node: node).diff
            let full = model.desiredState(for: .ipv4, snapshot: snapshot, node: node).state
            #expect(incremental == full)
            #expect(diff == DesiredStateDiff(from: before, to: full))
        }
    }
}
