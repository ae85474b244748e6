/// A namespaced name (`namespace/name`); cluster-scoped objects such as Nodes have an empty namespace.
///
/// Objects without a namespace in a file are taken to be in `default`, as `kubectl apply` would put them.
public struct ObjectKey: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var namespace: String
    public var name: String

    public init(namespace: String, name: String) {
        self.namespace = namespace
        self.name = name
    }

    public var description: String { namespace.isEmpty ? name : "\(namespace)/\(name)" }

    public static func < (lhs: ObjectKey, rhs: ObjectKey) -> Bool {
        (lhs.namespace, lhs.name) < (rhs.namespace, rhs.name)
    }
}

extension ObjectMeta {
    /// The key of a namespaced object; a missing namespace means `default`.
    public var namespacedKey: ObjectKey { ObjectKey(namespace: namespace ?? "default", name: name) }
}
