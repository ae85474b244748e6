/// What changed between two desired states of one family: Service ports removed, added and changed, and the
/// node settings if they changed.
///
/// - Important: `applied(to: old) == new` for the states it was computed from; partial syncs rely on it.
public struct DesiredStateDiff: Sendable, Hashable {
    public var family: IPFamily
    /// New node settings; nil when unchanged. A backend usually answers a change here with a full sync.
    public var node: DesiredState.NodeSettings?
    public var removed: [ServicePort] = []
    public var added: [ServicePort] = []
    public var changed: [Change] = []

    public struct Change: Sendable, Hashable {
        public var old: ServicePort
        public var new: ServicePort
    }

    public var isEmpty: Bool { node == nil && removed.isEmpty && added.isEmpty && changed.isEmpty }

    /// Diffs two states of the same family. With `services`, only those Services are compared (the caller
    /// knows nothing else changed), which keeps a one-Service change O(1) at any cluster size.
    public init(from old: DesiredState, to new: DesiredState, services: Set<ObjectKey>? = nil) {
        precondition(old.family == new.family, "diffing states of different families")
        family = new.family
        node = old.node == new.node ? nil : new.node
        let keys = services ?? Set(old.services.keys).union(new.services.keys)
        for key in keys.sorted() {
            let before = old.services[key] ?? []
            let after = new.services[key] ?? []
            if before != after { record(before: before, after: after) }
        }
    }

    /// An empty diff, to be filled with `record`.
    public init(family: IPFamily) {
        self.family = family
    }

    /// Adds the difference between one Service's ports before and after.
    public mutating func record(before: [ServicePort], after: [ServicePort]) {
        let beforeByName = Dictionary(uniqueKeysWithValues: before.map { ($0.name, $0) })
        let afterByName = Dictionary(uniqueKeysWithValues: after.map { ($0.name, $0) })
        for port in before where afterByName[port.name] == nil { removed.append(port) }
        for port in after {
            if let previous = beforeByName[port.name] {
                if previous != port { changed.append(Change(old: previous, new: port)) }
            } else {
                added.append(port)
            }
        }
    }

    /// The state this diff leads to from `old`.
    public func applied(to old: DesiredState) -> DesiredState {
        var state = old
        if let node { state.node = node }
        var touched = Set<ObjectKey>()
        for port in removed {
            state.services[port.name.service]?.removeAll { $0.name == port.name }
            touched.insert(port.name.service)
        }
        for change in changed {
            if let index = state.services[change.new.name.service]?.firstIndex(where: { $0.name == change.new.name }) {
                state.services[change.new.name.service]![index] = change.new
            }
        }
        for port in added {
            state.services[port.name.service, default: []].append(port)
            touched.insert(port.name.service)
        }
        for key in touched {
            if state.services[key]?.isEmpty == true {
                state.services[key] = nil
            } else {
                state.services[key]?.sort { $0.name < $1.name }
            }
        }
        return state
    }
}
