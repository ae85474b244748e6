import ServiceModel

/// One kernel scenario: Services and EndpointSlices in, packet outcomes out. Backend-agnostic: the same table
/// runs against every backend (`ScenarioMode`; IPVS will reuse it).
///
/// Scenarios run in the standard lab (`ServiceScenario.labSpec`): local pods `web-1`, `web-2` on node `node`,
/// remote pod `web-r` on node `remote`, every pod answering on TCP 8080 and 9090 and UDP 8080.
public struct ServiceScenario: Sendable, CustomStringConvertible {
    public var name: String
    public var family: IPFamily
    public var mode: ScenarioMode
    /// The objects, written for `family` (see `ScenarioAddresses`).
    public var objects: [KubernetesObject]
    /// proxyd flags: the mode's, then the scenario's own (`--masquerade-all`, `--nodeport-addresses …`).
    public var flags: [String]
    public var checks: [PacketCheck]

    public init(
        _ name: String, family: IPFamily, mode: ScenarioMode = .nftables, objects: [KubernetesObject], flags: [String] = [],
        checks: [PacketCheck]
    ) {
        self.name = name
        self.family = family
        self.mode = mode
        self.objects = objects
        self.flags = mode.flags + flags
        self.checks = checks
    }

    public var description: String { "\(name) (\(family), \(mode))" }

    /// The lab every scenario runs in.
    public static let labSpec = LabSpec(pods: ["web-1", "web-2"], remotePods: ["web-r"])
    /// The node proxyd runs as (`--hostname-override`).
    public static let nodeName = "node"
    public static let remoteNodeName = "remote"
    public static let tcpPorts: [UInt16] = [8080, 9090]
    public static let udpPorts: [UInt16] = [8080]
}

/// One kind of connection and what must happen to it.
public struct PacketCheck: Sendable, CustomStringConvertible {
    public enum Host: Sendable, Hashable, CustomStringConvertible {
        /// Outside the cluster, routed through the node.
        case client
        /// The node itself (its output hook).
        case node
        /// A pod by name (`web-1`, `web-2` local; `web-r` remote).
        case pod(String)

        public var description: String {
            switch self {
            case .client: "client"
            case .node: "node"
            case .pod(let name): name
            }
        }
    }

    /// What the client must observe.
    public enum Expectation: Sendable, Hashable, CustomStringConvertible {
        /// Every attempt is answered by one of `pods`, and each of them answers at least once; the server sees
        /// the client's own address (`preserved`) or another one (`masqueraded`).
        case reaches(Set<String>, Source)
        /// Every attempt is answered by the same pod, one of `pods` (ClientIP affinity).
        case sticksToOneOf(Set<String>, Source)
        /// Refused at once (ICMP unreachable / TCP reset): no endpoints.
        case refused
        /// No answer: dropped.
        case dropped

        public var description: String {
            switch self {
            case .reaches(let pods, let source): "reaches \(pods.sorted()) with source \(source)"
            case .sticksToOneOf(let pods, let source): "sticks to one of \(pods.sorted()) with source \(source)"
            case .refused: "refused"
            case .dropped: "dropped"
            }
        }
    }

    public enum Source: String, Sendable, Hashable, CustomStringConvertible {
        case preserved, masqueraded
        public var description: String { rawValue }
    }

    public var from: Host
    public var to: IPAddress
    public var port: UInt16
    public var proto: TransportProtocol
    public var expect: Expectation
    /// Connections to make (several for load-balancing and affinity checks).
    public var count: Int

    public init(from: Host, to: IPAddress, port: UInt16, _ proto: TransportProtocol = .tcp, expect: Expectation, count: Int? = nil) {
        self.from = from
        self.to = to
        self.port = port
        self.proto = proto
        self.expect = expect
        switch expect {
        case .reaches(let pods, _): self.count = count ?? (pods.count > 1 ? 24 : 2)
        case .sticksToOneOf: self.count = count ?? 12
        case .refused, .dropped: self.count = count ?? 1
        }
    }

    public var description: String { "\(from) → \(to):\(port)/\(proto) \(expect)" }
}
