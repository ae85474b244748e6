/// Every followed object, keyed by namespace/name: the reducer of `ObjectEvent`s.
///
/// It also answers which Services an event affects, so that the model recomputes only those.
public struct ClusterSnapshot: Sendable {
    public private(set) var services: [ObjectKey: Service] = [:]
    public private(set) var endpointSlices: [ObjectKey: EndpointSlice] = [:]
    public private(set) var nodes: [String: Node] = [:]
    /// Slice keys by the Service they belong to (an index of `endpointSlices`).
    private var sliceKeysByService: [ObjectKey: Set<ObjectKey>] = [:]
    /// The source has delivered its complete initial state.
    public private(set) var isSynced = false

    public init() {}

    /// Builds a snapshot holding `objects`.
    public init(_ objects: some Sequence<KubernetesObject>) {
        for object in objects { _ = apply(.added(object)) }
    }

    /// What an event touched.
    public struct Change: Sendable, Hashable {
        /// Services whose ports must be recomputed.
        public var services: Set<ObjectKey> = []
        /// Nodes that changed (by name); the model recomputes everything if it is ours.
        public var nodes: Set<String> = []
        /// The event was `synced`.
        public var becameSynced = false

        public init() {}

        public var isEmpty: Bool { services.isEmpty && nodes.isEmpty && !becameSynced }

        public mutating func formUnion(_ other: Change) {
            services.formUnion(other.services)
            nodes.formUnion(other.nodes)
            becameSynced = becameSynced || other.becameSynced
        }
    }

    /// Applies one event and reports what it touched. Adding and modifying are the same operation (an upsert),
    /// so replayed events are harmless.
    @discardableResult
    public mutating func apply(_ event: ObjectEvent) -> Change {
        var change = Change()
        switch event {
        case .synced:
            isSynced = true
            change.becameSynced = true
        case .added(let object), .modified(let object):
            upsert(object, into: &change)
        case .deleted(let object):
            remove(object.reference, into: &change)
        }
        return change
    }

    /// The slices of a Service, sorted by name (so that duplicate endpoints resolve the same way every time).
    public func endpointSlices(for service: ObjectKey) -> [EndpointSlice] {
        guard let keys = sliceKeysByService[service] else { return [] }
        return keys.sorted().compactMap { endpointSlices[$0] }
    }

    private mutating func upsert(_ object: KubernetesObject, into change: inout Change) {
        switch object {
        case .service(let service):
            let key = service.metadata.namespacedKey
            services[key] = service
            change.services.insert(key)
        case .endpointSlice(let slice):
            let key = slice.metadata.namespacedKey
            if let old = endpointSlices[key] { unindex(old, key: key, into: &change) }
            endpointSlices[key] = slice
            if let service = slice.serviceKey {
                sliceKeysByService[service, default: []].insert(key)
                change.services.insert(service)
            }
        case .node(let node):
            nodes[node.metadata.name] = node
            change.nodes.insert(node.metadata.name)
        }
    }

    private mutating func remove(_ reference: ObjectReference, into change: inout Change) {
        switch reference.kind {
        case .service:
            if services.removeValue(forKey: reference.key) != nil { change.services.insert(reference.key) }
        case .endpointSlice:
            if let old = endpointSlices.removeValue(forKey: reference.key) {
                unindex(old, key: reference.key, into: &change)
            }
        case .node:
            if nodes.removeValue(forKey: reference.key.name) != nil { change.nodes.insert(reference.key.name) }
        }
    }

    private mutating func unindex(_ slice: EndpointSlice, key: ObjectKey, into change: inout Change) {
        guard let service = slice.serviceKey else { return }
        sliceKeysByService[service]?.remove(key)
        if sliceKeysByService[service]?.isEmpty == true { sliceKeysByService[service] = nil }
        change.services.insert(service)
    }
}
