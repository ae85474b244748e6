import ServiceModel

/// What one family's tables hold after a successful sync, kept in memory so that the next sync can be partial:
/// every Service port's rules (to write the top-level chains in full, and to know which chains a change makes
/// stale), the node settings and modes the rules were rendered with, and the jumps in built-in chains.
///
/// - Important: Mutated in place by partial renders (the caller holds the only reference); after a refused
///   restore it no longer describes the kernel and must be dropped.
public struct IptablesRendering: Sendable {
    public let family: IPFamily
    let node: DesiredState.NodeSettings
    /// Per-endpoint rules were rendered without comments.
    let largeCluster: Bool
    /// Endpoints counted for large cluster mode (every port's reachable endpoints).
    var endpointCount: Int
    let portRenderer: IptablesPortRenderer
    /// The jumps from built-in chains the tables hold.
    let jumps: [IptablesJump]
    /// The filter table's top-level chains (with the localnet firewall or without).
    let filterChains: [String]
    /// Every Service port's rules, and the ports in rendering order.
    var ports: [ServicePortName: IptablesServicePortRules] = [:]
    private(set) var order: [ServicePortName] = []
    /// Each port's rule counts in the top-level chains, in `order`: where a port's rules sit in those chains.
    private(set) var topLevelCounts: [IptablesTopLevelChain.Counts] = []
    /// Destinations captured, and the ports claiming each (for conflict warnings).
    var claims: [String: [ServicePortName]] = [:]

    /// Every per Service port chain of the nat table.
    var portChains: Set<String> {
        var chains = Set<String>()
        for rules in ports.values { for chain in rules.chains { chains.insert(chain.name) } }
        return chains
    }

    /// Adds the rules of a port that sorts after every port added so far (a full render, in order).
    mutating func append(_ rules: IptablesServicePortRules) {
        ports[rules.name] = rules
        order.append(rules.name)
        topLevelCounts.append(rules.topLevelCounts)
        for claim in rules.claims { claims[claim, default: []].append(rules.name) }
    }

    mutating func reserveCapacity(_ count: Int) {
        ports.reserveCapacity(count)
        order.reserveCapacity(count)
        topLevelCounts.reserveCapacity(count)
    }

    mutating func insert(_ rules: IptablesServicePortRules) {
        let index = order.insertionIndex(of: rules.name)
        if ports.updateValue(rules, forKey: rules.name) == nil {
            order.insert(rules.name, at: index)
            topLevelCounts.insert(rules.topLevelCounts, at: index)
        } else {
            topLevelCounts[index] = rules.topLevelCounts
        }
        for claim in rules.claims { claims[claim, default: []].insertSorted(rules.name) }
    }

    mutating func remove(_ name: ServicePortName) {
        guard let rules = ports.removeValue(forKey: name) else { return }
        let index = order.insertionIndex(of: name)
        if index < order.count, order[index] == name {
            order.remove(at: index)
            topLevelCounts.remove(at: index)
        }
        for claim in rules.claims {
            claims[claim]?.removeAll { $0 == name }
            if claims[claim]?.isEmpty == true { claims[claim] = nil }
        }
    }

    /// For each of `names` (ports of this rendering), the 1-based position of its first rule in each top-level
    /// chain: one past the rules of every port before it. One pass over the counts up to the last of them.
    func topLevelPositions(of names: some Collection<ServicePortName>) -> [ServicePortName: IptablesTopLevelChain.Counts] {
        let indices = names.map { order.insertionIndex(of: $0) }.sorted()
        var result: [ServicePortName: IptablesTopLevelChain.Counts] = [:]
        var sum = IptablesTopLevelChain.Counts(repeating: 1)
        var next = 0
        for index in indices {
            while next < index {
                sum &+= topLevelCounts[next]
                next += 1
            }
            result[order[index]] = sum
        }
        return result
    }

    /// Two ports capturing one destination: the first in rendering order wins (its rule comes first).
    func conflicts(among names: some Sequence<String>) -> [String] {
        var result = Set<String>()
        for claim in names {
            guard let owners = claims[claim], owners.count > 1 else { continue }
            for other in owners.dropFirst() {
                result.insert("\(other) and \(owners[0]) both claim \(claim); \(owners[0]) wins")
            }
        }
        return result.sorted()
    }
}

extension Array where Element == ServicePortName {
    /// The index at which `name` is or would be inserted to keep the array sorted.
    func insertionIndex(of name: ServicePortName) -> Int {
        var low = 0
        var high = count
        while low < high {
            let middle = (low + high) / 2
            if self[middle] < name { low = middle + 1 } else { high = middle }
        }
        return low
    }

    fileprivate mutating func insertSorted(_ name: ServicePortName) {
        let index = insertionIndex(of: name)
        if index < count, self[index] == name { return }
        insert(name, at: index)
    }
}
