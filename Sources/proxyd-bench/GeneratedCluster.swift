import Foundation
import ServiceModel

/// A generated cluster for benchmarks: `services` ClusterIP Services on port 80/TCP, each with one
/// EndpointSlice of `endpoints` ready endpoints spread over other nodes, plus this node's Node object.
///
/// Addresses are derived from indices: Service i has ClusterIP 10.96.0.0/12 + i and endpoints in 10.128.0.0/9,
/// so up to a few hundred thousand Services and endpoints fit without collisions.
struct GeneratedCluster {
    static let nodeName = "bench-node"
    let services: Int
    let endpoints: Int

    static func clusterIP(_ index: Int) -> String { ipv4(0x0A60_0000 + UInt32(index) + 1) }
    static func endpointIP(_ index: Int) -> String { ipv4(0x0A80_0000 + UInt32(index) + 1) }

    static func ipv4(_ value: UInt32) -> String { IPv4Address(value).description }

    func service(_ index: Int) -> Service {
        var service = Service(metadata: ObjectMeta(name: "svc-\(index)", namespace: "ns-\(index % 50)"))
        service.spec.clusterIP = Self.clusterIP(index)
        service.spec.clusterIPs = [Self.clusterIP(index)]
        service.spec.ipFamilies = ["IPv4"]
        service.spec.ports = [Service.Port(name: "http", protocol: "TCP", port: 80, targetPort: .int(8080))]
        return service
    }

    func slice(_ index: Int, endpointOffset: Int = 0) -> EndpointSlice {
        let endpoints = (0..<self.endpoints).map { slot in
            EndpointSlice.Endpoint(
                addresses: [Self.endpointIP(index * self.endpoints + slot + endpointOffset)],
                conditions: .init(ready: true), nodeName: "node-\(slot % 100)")
        }
        return EndpointSlice(
            metadata: ObjectMeta(
                name: "svc-\(index)-abcde", namespace: "ns-\(index % 50)",
                labels: [EndpointSlice.serviceNameLabel: "svc-\(index)"]),
            addressType: "IPv4", endpoints: endpoints, ports: [.init(name: "http", protocol: "TCP", port: 8080)])
    }

    var node: Node {
        Node(
            metadata: ObjectMeta(name: Self.nodeName),
            status: .init(addresses: [.init(type: "InternalIP", address: "192.168.0.1")]))
    }

    /// The whole cluster as one JSON `List`, as an API server or a manifest file delivers it.
    func json() throws -> Data {
        let encoder = JSONEncoder()
        var data = Data(#"{"apiVersion":"v1","kind":"List","items":["#.utf8)
        data += try encoder.encode(node)
        for index in 0..<services {
            data += Data(",".utf8) + (try encoder.encode(service(index)))
            data += Data(",".utf8) + (try encoder.encode(slice(index)))
        }
        data += Data("]}".utf8)
        return data
    }
}
