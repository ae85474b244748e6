/// One object of a kind proxyd follows.
public enum KubernetesObject: Sendable, Hashable {
    case service(Service)
    case endpointSlice(EndpointSlice)
    case node(Node)

    public var kind: ObjectKind {
        switch self {
        case .service: .service
        case .endpointSlice: .endpointSlice
        case .node: .node
        }
    }

    public var metadata: ObjectMeta {
        switch self {
        case .service(let s): s.metadata
        case .endpointSlice(let e): e.metadata
        case .node(let n): n.metadata
        }
    }

    /// The object's key; Nodes are cluster-scoped and have an empty namespace.
    public var key: ObjectKey {
        switch self {
        case .node(let n): ObjectKey(namespace: "", name: n.metadata.name)
        default: metadata.namespacedKey
        }
    }

    public var reference: ObjectReference { ObjectReference(kind: kind, key: key) }
}

/// The kinds proxyd follows, with the names the API uses.
public enum ObjectKind: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case service = "Service"
    case endpointSlice = "EndpointSlice"
    case node = "Node"

    public var description: String { rawValue }

    /// The kind named by a `kind` field, accepting `apiVersion` values proxyd understands.
    public init?(kind: String, apiVersion: String?) {
        switch (kind, apiVersion) {
        case ("Service", nil), ("Service", "v1"): self = .service
        case ("EndpointSlice", nil), ("EndpointSlice", "discovery.k8s.io/v1"): self = .endpointSlice
        case ("Node", nil), ("Node", "v1"): self = .node
        default: return nil
        }
    }
}

/// Names one object of one kind, e.g. `Service default/web`.
public struct ObjectReference: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var kind: ObjectKind
    public var key: ObjectKey

    public init(kind: ObjectKind, key: ObjectKey) {
        self.kind = kind
        self.key = key
    }

    public var description: String { "\(kind) \(key)" }

    public static func < (lhs: ObjectReference, rhs: ObjectReference) -> Bool {
        (lhs.kind.rawValue, lhs.key) < (rhs.kind.rawValue, rhs.key)
    }
}
