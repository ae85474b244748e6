/// The subset of a `v1 Service` that decides how it is proxied.
///
/// Enumerations (type, policies, protocols, families) stay strings here: an unexpected value must not make the
/// whole object undecodable. The proxy model interprets them and warns about values it does not know.
public struct Service: Codable, Sendable, Hashable {
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: Spec
    public var status: Status?

    public init(metadata: ObjectMeta, spec: Spec = Spec(), status: Status? = nil) {
        self.apiVersion = "v1"
        self.kind = "Service"
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        apiVersion = try container.decodeIfPresent(String.self, forKey: .apiVersion)
        kind = try container.decodeIfPresent(String.self, forKey: .kind)
        metadata = try container.decode(ObjectMeta.self, forKey: .metadata)
        spec = try container.decodeIfPresent(Spec.self, forKey: .spec) ?? Spec()
        status = try container.decodeIfPresent(Status.self, forKey: .status)
    }

    public struct Spec: Codable, Sendable, Hashable {
        public var type: String?
        public var clusterIP: String?
        public var clusterIPs: [String]?
        public var ipFamilies: [String]?
        public var ipFamilyPolicy: String?
        public var ports: [Port]?
        public var selector: [String: String]?
        public var externalIPs: [String]?
        public var loadBalancerIP: String?
        public var loadBalancerSourceRanges: [String]?
        public var externalTrafficPolicy: String?
        public var internalTrafficPolicy: String?
        public var healthCheckNodePort: Int?
        public var sessionAffinity: String?
        public var sessionAffinityConfig: SessionAffinityConfig?
        public var externalName: String?
        public var trafficDistribution: String?
        public var publishNotReadyAddresses: Bool?

        public init() {}
    }

    public struct Port: Codable, Sendable, Hashable {
        public var name: String?
        public var `protocol`: String?
        public var port: Int
        public var targetPort: IntOrString?
        public var nodePort: Int?
        public var appProtocol: String?

        public init(name: String? = nil, protocol: String? = nil, port: Int, targetPort: IntOrString? = nil, nodePort: Int? = nil) {
            self.name = name
            self.protocol = `protocol`
            self.port = port
            self.targetPort = targetPort
            self.nodePort = nodePort
        }
    }

    public struct SessionAffinityConfig: Codable, Sendable, Hashable {
        public var clientIP: ClientIPConfig?

        public init(clientIP: ClientIPConfig?) { self.clientIP = clientIP }
    }

    public struct ClientIPConfig: Codable, Sendable, Hashable {
        public var timeoutSeconds: Int?

        public init(timeoutSeconds: Int?) { self.timeoutSeconds = timeoutSeconds }
    }

    public struct Status: Codable, Sendable, Hashable {
        public var loadBalancer: LoadBalancerStatus?

        public init(loadBalancer: LoadBalancerStatus?) { self.loadBalancer = loadBalancer }
    }

    public struct LoadBalancerStatus: Codable, Sendable, Hashable {
        public var ingress: [LoadBalancerIngress]?

        public init(ingress: [LoadBalancerIngress]?) { self.ingress = ingress }
    }

    public struct LoadBalancerIngress: Codable, Sendable, Hashable {
        public var ip: String?
        public var hostname: String?
        /// `VIP` (default) or `Proxy`; with `Proxy` the load balancer delivers to the node and no rules are made.
        public var ipMode: String?

        public init(ip: String? = nil, hostname: String? = nil, ipMode: String? = nil) {
            self.ip = ip
            self.hostname = hostname
            self.ipMode = ipMode
        }
    }
}
