import ProxyTesting
import ServiceModel
import Testing

@Suite("Desired-state diffs and incremental computation")
struct DiffTests {
    /// Random clusters of a few Services whose ports, addresses and endpoints vary with the seed.
    struct RandomCluster {
        var rng: SplitMix64

        mutating func objects() -> [KubernetesObject] {
            var objects: [KubernetesObject] = [.node(ModelHarness.node)]
            for index in 0..<Int(rng.next() % 6) {
                let name = "svc\(rng.next() % 8)"
                let type = ["ClusterIP", "NodePort", "LoadBalancer"][Int(rng.next() % 3)]
                let service = Fixtures.service(
                    name, clusterIP: "10.96.0.\(index + 1)", type: type,
                    ports: (0..<Int(1 + rng.next() % 3)).map { .tcp(80 + $0, name: "p\($0)", nodePort: 30000 + Int(rng.next() % 100)) }
                ) { service in
                    if self.rng.next() % 2 == 0 { service.spec.externalTrafficPolicy = "Local" }
                    if self.rng.next() % 3 == 0 { service.spec.internalTrafficPolicy = "Local" }
                    if self.rng.next() % 3 == 0 { service.spec.sessionAffinity = "ClientIP" }
                }
                objects.append(.service(service))
                let endpoints: [EndpointSlice.Endpoint] = (0..<Int(rng.next() % 4)).map { i in
                    let address = "10.244.\(rng.next() % 3).\(i + 1)"
                    let node = rng.next() % 2 == 0 ? "node-a" : "node-b"
                    return rng.next() % 4 == 0 ? .servingTerminating(address, node: node) : .ready(address, node: node)
                }
                let ports = (0..<3).map { EndpointSlice.Port(name: "p\($0)", protocol: "TCP", port: 8080 + $0) }
                // Not every Service has a slice, and some slices outlive their Service: both must be tracked.
                if rng.next() % 4 != 0 {
                    objects.append(.endpointSlice(Fixtures.slice("default/\(name)-x", service: name, ports: ports, endpoints: endpoints)))
                }
                if rng.next() % 5 == 0 {
                    let orphan = "svc\(rng.next() % 8)"
                    objects.append(.endpointSlice(Fixtures.slice("default/\(orphan)-y", service: orphan, ports: ports, endpoints: endpoints)))
                }
            }
            return objects
        }
    }

    func state(_ objects: [KubernetesObject]) -> DesiredState {
        let snapshot = ClusterSnapshot(objects)
        let model = ProxyModel(configuration: ModelHarness.configuration)
        let node = NodeContext(snapshot: snapshot, nodeName: "node-a", localAddresses: [])
        return model.desiredState(for: .ipv4, snapshot: snapshot, node: node).state
    }

    @Test(arguments: 0..<200)
    func applyingTheDiffToTheOldStateGivesTheNewState(seed: Int) {
        var cluster = RandomCluster(rng: SplitMix64(seed: UInt64(seed)))
        let old = state(cluster.objects())
        let new = state(cluster.objects())
        let diff = DesiredStateDiff(from: old, to: new)
        #expect(diff.applied(to: old) == new)
        #expect(DesiredStateDiff(from: new, to: new).isEmpty)
    }

    @Test(arguments: 0..<100)
    func incrementalUpdatesEqualAFullComputation(seed: Int) {
        var rng = SplitMix64(seed: UInt64(seed))
        var cluster = RandomCluster(rng: rng)
        var snapshot = ClusterSnapshot(cluster.objects())
        let model = ProxyModel(configuration: ModelHarness.configuration)
        let node = NodeContext(snapshot: snapshot, nodeName: "node-a", localAddresses: [])
        var incremental = model.desiredState(for: .ipv4, snapshot: snapshot, node: node).state
        for _ in 0..<5 {
            // Replace the cluster's objects with another random set through events, as a source would.
            let next = Dictionary(cluster.objects().map { ($0.reference, $0) }, uniquingKeysWith: { $1 })
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
            incremental = model.updating(incremental, services: changed, snapshot: snapshot, node: node).state
            let full = model.desiredState(for: .ipv4, snapshot: snapshot, node: node).state
            #expect(incremental == full)
            #expect(DesiredStateDiff(from: before, to: incremental, services: changed) == DesiredStateDiff(from: before, to: full))
            _ = rng.next()
        }
    }
}
