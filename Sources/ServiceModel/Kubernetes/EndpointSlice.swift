/// The subset of a `discovery.k8s.io/v1 EndpointSlice` that decides where traffic goes.
public struct EndpointSlice: Codable, Sendable, Hashable {
    /// The label naming the Service a slice belongs to.
    public static let serviceNameLabel = "kubernetes.io/service-name"
    /// The annotation the EndpointSlice controller sets to the time of the change that triggered an update.
    public static let lastChangeTriggerTimeAnnotation = "endpoints.kubernetes.io/last-change-trigger-time"

    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    /// `IPv4`, `IPv6` or `FQDN` (the last is never proxied).
    public var addressType: String
    public var endpoints: [Endpoint]?
    public var ports: [Port]?

    public init(metadata: ObjectMeta, addressType: String, endpoints: [Endpoint] = [], ports: [Port] = []) {
        self.apiVersion = "discovery.k8s.io/v1"
        self.kind = "EndpointSlice"
        self.metadata = metadata
        self.addressType = addressType
        self.endpoints = endpoints
        self.ports = ports
    }

    /// The Service this slice belongs to, from its `kubernetes.io/service-name` label.
    public var serviceKey: ObjectKey? {
        guard let name = metadata.label(Self.serviceNameLabel), !name.isEmpty else { return nil }
        return ObjectKey(namespace: metadata.namespace ?? "default", name: name)
    }

    public struct Endpoint: Codable, Sendable, Hashable {
        public var addresses: [String]
        public var conditions: Conditions?
        public var hostname: String?
        public var nodeName: String?
        public var zone: String?
        public var hints: Hints?

        public init(
            addresses: [String], conditions: Conditions? = nil, nodeName: String? = nil, zone: String? = nil,
            hints: Hints? = nil
        ) {
            self.addresses = addresses
            self.conditions = conditions
            self.nodeName = nodeName
            self.zone = zone
            self.hints = hints
        }
    }

    /// Endpoint conditions; a missing `ready` or `serving` means true, a missing `terminating` means false.
    public struct Conditions: Codable, Sendable, Hashable {
        public var ready: Bool?
        public var serving: Bool?
        public var terminating: Bool?

        public init(ready: Bool? = nil, serving: Bool? = nil, terminating: Bool? = nil) {
            self.ready = ready
            self.serving = serving
            self.terminating = terminating
        }
    }

    public struct Hints: Codable, Sendable, Hashable {
        public var forZones: [NamedHint]?
        public var forNodes: [NamedHint]?

        public init(forZones: [String]? = nil, forNodes: [String]? = nil) {
            self.forZones = forZones?.map(NamedHint.init(name:))
            self.forNodes = forNodes?.map(NamedHint.init(name:))
        }
    }

    public struct NamedHint: Codable, Sendable, Hashable {
        public var name: String

        public init(name: String) { self.name = name }
    }

    public struct Port: Codable, Sendable, Hashable {
        public var name: String?
        public var `protocol`: String?
        public var port: Int?
        public var appProtocol: String?

        public init(name: String? = nil, protocol: String? = nil, port: Int?) {
            self.name = name
            self.protocol = `protocol`
            self.port = port
        }
    }
}
