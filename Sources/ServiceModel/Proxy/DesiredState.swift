/// Everything one IP family's proxier must program on this node: node-wide settings and every Service port.
///
/// - Important: A value. Backends render it; two of them can be diffed (`DesiredStateDiff`), and applying the
///   diff to the older one yields the newer one.
public struct DesiredState: Sendable, Hashable {
    public var family: IPFamily
    public var node: NodeSettings
    /// The ports of every proxied Service, sorted by port name within a Service.
    public var services: [ObjectKey: [ServicePort]]

    public init(family: IPFamily, node: NodeSettings, services: [ObjectKey: [ServicePort]] = [:]) {
        self.family = family
        self.node = node
        self.services = services
    }

    /// Node-wide settings resolved for this family.
    public struct NodeSettings: Sendable, Hashable {
        /// The node's primary IP of this family, if known.
        public var nodeIPs: [IPAddress]
        public var nodePortAddresses: NodePortAddressSet
        public var localTrafficDetector: LocalTrafficDetector
        public var masqueradeAll: Bool

        public init(
            nodeIPs: [IPAddress] = [], nodePortAddresses: NodePortAddressSet = .addresses([]),
            localTrafficDetector: LocalTrafficDetector = .none, masqueradeAll: Bool = false
        ) {
            self.nodeIPs = nodeIPs
            self.nodePortAddresses = nodePortAddresses
            self.localTrafficDetector = localTrafficDetector
            self.masqueradeAll = masqueradeAll
        }
    }

    /// Every Service port, in `ServicePortName` order.
    public var servicePorts: [ServicePort] {
        services.keys.sorted().flatMap { services[$0]! }
    }

    public var servicePortCount: Int { services.values.reduce(0) { $0 + $1.count } }

    public var endpointCount: Int {
        services.values.reduce(0) { $0 + $1.reduce(0) { $0 + $1.reachableEndpoints.count } }
    }
}
