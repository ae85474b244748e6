/// The subset of a `v1 Node` proxyd reads: its addresses, zone label, pod CIDRs and deletion signals.
public struct Node: Codable, Sendable, Hashable {
    public static let zoneLabel = "topology.kubernetes.io/zone"
    /// The taint cluster-autoscaler puts on a node it is about to remove.
    public static let toBeDeletedTaint = "ToBeDeletedByClusterAutoscaler"

    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: Spec?
    public var status: Status?

    public init(metadata: ObjectMeta, spec: Spec? = nil, status: Status? = nil) {
        self.apiVersion = "v1"
        self.kind = "Node"
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }

    public struct Spec: Codable, Sendable, Hashable {
        public var podCIDR: String?
        public var podCIDRs: [String]?
        public var taints: [Taint]?

        public init(podCIDR: String? = nil, podCIDRs: [String]? = nil, taints: [Taint]? = nil) {
            self.podCIDR = podCIDR
            self.podCIDRs = podCIDRs
            self.taints = taints
        }
    }

    public struct Taint: Codable, Sendable, Hashable {
        public var key: String
        public var value: String?
        public var effect: String?

        public init(key: String, value: String? = nil, effect: String? = nil) {
            self.key = key
            self.value = value
            self.effect = effect
        }
    }

    public struct Status: Codable, Sendable, Hashable {
        public var addresses: [Address]?

        public init(addresses: [Address]?) { self.addresses = addresses }
    }

    public struct Address: Codable, Sendable, Hashable {
        /// `InternalIP`, `ExternalIP`, `Hostname`, …
        public var type: String
        public var address: String

        public init(type: String, address: String) {
            self.type = type
            self.address = address
        }
    }

    /// True when the Node is being deleted or cluster-autoscaler has marked it for removal; `/healthz` then
    /// answers 503 so that load balancers drain the node first.
    public var isBeingRemoved: Bool {
        metadata.deletionTimestamp != nil || (spec?.taints ?? []).contains { $0.key == Self.toBeDeletedTaint }
    }
}
