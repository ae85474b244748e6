import ProxyTesting
import ServiceModel
import Watcher

/// The demo's cluster: the example objects it loads into the API server, the two Services it shows, the pods it
/// runs on each node, and every address — checked against `examples/` when loaded, so the story the demo tells and
/// the objects proxyd reads cannot drift apart.
///
/// node-a is the lab's node and node-b its remote node (`LabTopology`): two namespaces on one bridge, each routing
/// the other's pod CIDR. The example's node addresses (192.168.49.0/24) are added to the lab's node network, so
/// proxyd finds its Node's InternalIP on its own interface, as on a real node.
struct DemoPlan: Sendable {
    enum Node: String, Sendable, CaseIterable, CustomStringConvertible {
        case a = "node-a"
        case b = "node-b"
        var description: String { rawValue }
    }

    /// A pod of the demo: a lab namespace running `proxyd-lab serve`, which answers every connection with the pod's
    /// name and the source address it saw.
    struct Pod: Sendable {
        var name: String
        var node: Node
        /// Its address in the example's EndpointSlices; nil for the toolbox pod, which only makes connections.
        var exampleAddress: IPAddress?
        /// The Service whose EndpointSlice lists it.
        var service: ObjectKey?
        var ports: [UInt16]
    }

    static let frontendKey = ObjectKey(namespace: "shop", name: "frontend")
    static let checkoutKey = ObjectKey(namespace: "shop", name: "checkout")

    /// In lab order per node: a node's n-th pod gets the lab address 10.244.<node>.(10+n) (``LabTopology``). Pods whose
    /// example address differs get it added (frontend-a, frontend-b and frontend-c already have theirs).
    static let pods: [Pod] = [
        Pod(name: "frontend-a", node: .a, exampleAddress: "10.244.0.11", service: frontendKey, ports: [8080]),
        Pod(name: "checkout-a", node: .a, exampleAddress: "10.244.0.41", service: checkoutKey, ports: [8443]),
        Pod(name: "toolbox", node: .b, exampleAddress: nil, service: nil, ports: []),
        Pod(name: "frontend-b", node: .b, exampleAddress: "10.244.1.12", service: frontendKey, ports: [8080]),
        Pod(name: "frontend-c", node: .b, exampleAddress: "10.244.1.13", service: frontendKey, ports: [8080]),
        Pod(name: "checkout-b", node: .b, exampleAddress: "10.244.1.42", service: checkoutKey, ports: [8443]),
    ]

    /// The outside client's address on the example's node network.
    static let clientAddress: IPAddress = "192.168.49.100"
    static let nodeNetworkPrefixLength = 24

    /// A Service port the demo sends traffic to.
    struct ServiceFacts: Sendable {
        var key: ObjectKey
        var clusterIP: IPAddress
        var port: UInt16
        var nodePort: UInt16
        var externalTrafficPolicy: String
    }

    /// Every object of the example directory, as the API server will hold them.
    let objects: [KubernetesObject]
    /// The example files read.
    let files: [String]
    /// Each node's IPv4 InternalIP, from its Node object.
    let nodeAddresses: [Node: IPAddress]
    let frontend: ServiceFacts
    let checkout: ServiceFacts
    /// shop/frontend's EndpointSlice, which the scale-down step rewrites.
    let frontendSlice: EndpointSlice

    var labSpec: LabSpec {
        LabSpec(pods: Self.pods.filter { $0.node == .a }.map(\.name), remotePods: Self.pods.filter { $0.node == .b }.map(\.name))
    }

    /// Pods of a node, in lab order.
    static func pods(on node: Node) -> [Pod] { pods.filter { $0.node == node } }

    static func pod(_ name: String) -> Pod? { pods.first { $0.name == name } }

    /// Reads the example directory and checks it holds what the demo shows.
    ///
    /// - Throws: ``DemoFailure`` naming the file problem, or the object and field that differ from what the demo
    ///   expects (after someone changed `examples/`).
    static func load(examples: String) throws(DemoFailure) -> DemoPlan {
        let contents = FileSource(path: examples).load()
        guard contents.isValid else {
            throw DemoFailure("cannot load the example cluster: \(contents.errors.map(\.description).joined(separator: "; "))")
        }
        let objects = contents.objects.sorted { $0.key < $1.key }.map(\.value)
        var nodeAddresses: [Node: IPAddress] = [:]
        for node in Node.allCases {
            guard case .node(let object)? = contents.objects[ObjectReference(kind: .node, key: ObjectKey(namespace: "", name: node.rawValue))] else {
                throw DemoFailure("\(examples): no Node \(node); the demo runs node-a and node-b")
            }
            guard let address = object.status?.addresses?.first(where: { $0.type == "InternalIP" && IPAddress($0.address)?.family == .ipv4 })
                .flatMap({ IPAddress($0.address) })
            else {
                throw DemoFailure("\(examples): Node \(node) has no IPv4 InternalIP")
            }
            nodeAddresses[node] = address
        }
        let frontend = try serviceFacts(frontendKey, in: contents, examples: examples)
        let checkout = try serviceFacts(checkoutKey, in: contents, examples: examples)
        guard frontend.externalTrafficPolicy == "Cluster", checkout.externalTrafficPolicy == "Local" else {
            throw DemoFailure("\(examples): the demo shows shop/frontend with externalTrafficPolicy Cluster and shop/checkout with Local")
        }
        var frontendSlice: EndpointSlice?
        for pod in pods {
            guard let service = pod.service, let address = pod.exampleAddress else { continue }
            let slices = contents.objects.values.compactMap { object -> EndpointSlice? in
                guard case .endpointSlice(let slice) = object, slice.serviceKey == service else { return nil }
                return slice
            }
            let listed = slices.contains { slice in
                (slice.endpoints ?? []).contains { $0.addresses.contains(address.description) && $0.nodeName == pod.node.rawValue }
            }
            guard listed else {
                throw DemoFailure("\(examples): no EndpointSlice of \(service) lists \(address) on \(pod.node) (pod \(pod.name))")
            }
            if service == frontendKey { frontendSlice = slices.count == 1 ? slices[0] : nil }
        }
        guard let frontendSlice else {
            throw DemoFailure("\(examples): the demo expects exactly one EndpointSlice for \(frontendKey)")
        }
        return DemoPlan(
            objects: objects, files: contents.files, nodeAddresses: nodeAddresses, frontend: frontend, checkout: checkout,
            frontendSlice: frontendSlice)
    }

    private static func serviceFacts(_ key: ObjectKey, in contents: FileSource.Contents, examples: String) throws(DemoFailure) -> ServiceFacts {
        guard case .service(let service)? = contents.objects[ObjectReference(kind: .service, key: key)] else {
            throw DemoFailure("\(examples): no Service \(key)")
        }
        guard let clusterIP = service.spec.clusterIP.flatMap({ IPAddress($0) }), let port = service.spec.ports?.first,
            let portNumber = UInt16(exactly: port.port), let nodePort = port.nodePort.flatMap({ UInt16(exactly: $0) })
        else {
            throw DemoFailure("\(examples): Service \(key) needs a ClusterIP and a first port with a nodePort")
        }
        return ServiceFacts(
            key: key, clusterIP: clusterIP, port: portNumber, nodePort: nodePort,
            externalTrafficPolicy: service.spec.externalTrafficPolicy ?? "Cluster")
    }
}
