import ServiceModel

/// Random small clusters for property tests: Services of every type with varying ports, policies, affinity,
/// external addresses and endpoints (ready, terminating, local, remote), some without slices and some slices
/// without Services. Replays exactly from its seed.
public struct RandomCluster: Sendable {
    public var rng: SplitMix64
    /// The node the objects are generated for (endpoints on it are local).
    public var nodeName: String

    public init(seed: UInt64, nodeName: String = "node-a") {
        rng = SplitMix64(seed: seed)
        self.nodeName = nodeName
    }

    public mutating func objects(node: Node) -> [KubernetesObject] {
        var objects: [KubernetesObject] = [.node(node)]
        for index in 0..<Int(rng.next() % 6) {
            let name = "svc\(rng.next() % 8)"
            let type = ["ClusterIP", "NodePort", "LoadBalancer"][Int(rng.next() % 3)]
            let ports: [Service.Port] = (0..<Int(1 + rng.next() % 3)).map {
                Service.Port(name: "p\($0)", protocol: rng.next() % 4 == 0 ? "UDP" : "TCP", port: 80 + $0, nodePort: 30000 + Int(rng.next() % 100))
            }
            let service = Fixtures.service(name, clusterIP: "10.96.0.\(index + 1)", type: type, ports: ports) { service in
                if self.rng.next() % 2 == 0 { service.spec.externalTrafficPolicy = "Local" }
                if self.rng.next() % 3 == 0 { service.spec.internalTrafficPolicy = "Local" }
                if self.rng.next() % 3 == 0 { service.spec.sessionAffinity = "ClientIP" }
                if self.rng.next() % 3 == 0 { service.spec.externalIPs = ["198.51.100.\(self.rng.next() % 4)"] }
                if type == "LoadBalancer" {
                    service.status = .init(loadBalancer: .init(ingress: [.init(ip: "203.0.113.\(self.rng.next() % 4)")]))
                    if self.rng.next() % 2 == 0 { service.spec.loadBalancerSourceRanges = ["192.0.2.0/24", "10.\(self.rng.next() % 3).0.0/16"] }
                    service.spec.healthCheckNodePort = 32000 + Int(self.rng.next() % 100)
                }
            }
            objects.append(.service(service))
            let endpoints: [EndpointSlice.Endpoint] = (0..<Int(rng.next() % 4)).map { i in
                let address = "10.244.\(rng.next() % 3).\(i + 1)"
                let node = rng.next() % 2 == 0 ? nodeName : "node-b"
                return rng.next() % 4 == 0 ? .servingTerminating(address, node: node) : .ready(address, node: node)
            }
            let slicePorts = ports.enumerated().map { EndpointSlice.Port(name: $1.name, protocol: $1.protocol, port: 8080 + $0) }
            // Not every Service has a slice, and some slices outlive their Service: both must be tracked.
            if rng.next() % 4 != 0 {
                objects.append(.endpointSlice(Fixtures.slice("default/\(name)-x", service: name, ports: slicePorts, endpoints: endpoints)))
            }
            if rng.next() % 5 == 0 {
                let orphan = "svc\(rng.next() % 8)"
                objects.append(.endpointSlice(Fixtures.slice("default/\(orphan)-y", service: orphan, ports: slicePorts, endpoints: endpoints)))
            }
        }
        return objects
    }
}
