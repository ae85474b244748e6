import ProxyTesting
import ServiceModel

/// Runs the model as node `node-a` (zone `zone-a`, IPs 192.168.1.10 and fd00::10, pods in 10.244.0.0/16).
enum ModelHarness {
    static let nodeName = "node-a"
    static let node = Fixtures.node(
        nodeName, addresses: ["192.168.1.10", "fd00::10", "ExternalIP:203.0.113.99"], zone: "zone-a",
        podCIDRs: ["10.244.1.0/24", "fd00:244:1::/64"])
    static let configuration = ProxyConfiguration(
        nodeName: nodeName, clusterCIDRs: ["10.244.0.0/16", "fd00:244::/48"])

    struct Result {
        var state: DesiredState
        var warnings: [ModelWarning]

        /// The one port of Service `key` (the first if several).
        func port(_ key: String, _ name: String = "") -> ServicePort? {
            let (namespace, service) = key.contains("/") ? (String(key.split(separator: "/")[0]), String(key.split(separator: "/")[1])) : ("default", key)
            return state.services[ObjectKey(namespace: namespace, name: service)]?.first { $0.name.port == name }
        }

        var warningTexts: [String] { warnings.map(\.description) }
    }

    static func run(
        services: [Service] = [], slices: [EndpointSlice] = [], nodes: [Node]? = nil,
        configuration: ProxyConfiguration = configuration, family: IPFamily = .ipv4,
        localAddresses: [IPAddress] = ["127.0.0.1", "192.168.1.10", "10.0.0.5", "::1", "fd00::10"]
    ) -> Result {
        let snapshot = ClusterSnapshot.of(services: services, slices: slices, nodes: nodes ?? [node])
        let model = ProxyModel(configuration: configuration)
        let context = NodeContext(snapshot: snapshot, nodeName: configuration.nodeName, localAddresses: localAddresses)
        let output = model.desiredState(for: family, snapshot: snapshot, node: context)
        return Result(state: output.state, warnings: output.warnings)
    }
}

extension ServiceEndpoint {
    var text: String { description }
}

extension Array where Element == ServiceEndpoint {
    var texts: [String] { map(\.description) }
}
