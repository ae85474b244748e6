import ServiceModel

/// What proxyd has programmed (or will program) into one family's table, kept in memory so that partial
/// syncs send only differences and never list the table.
public struct NftablesRendering: Sendable {
    let syntax: NftablesSyntax
    let node: DesiredState.NodeSettings
    var elements = NftablesElementTable()
    /// Per-Service chains (ClientIP affinity only), by name.
    var serviceChains: [String: NftablesChain] = [:]
    /// Shared endpoint-picking chains in use, with the number of Service ports using each.
    var sharedChainUsers: [SharedChain: Int] = [:]

    /// Shared chains some Service port uses: exactly the ones the table holds.
    var sharedChains: Set<SharedChain> { Set(sharedChainUsers.keys) }

    init(family: IPFamily, node: DesiredState.NodeSettings) {
        syntax = NftablesSyntax(family: family)
        self.node = node
    }

    var family: IPFamily { syntax.family }

    var detector: LocalTrafficDetectorText {
        LocalTrafficDetectorText(
            localPod: syntax.localPodMatch(node.localTrafficDetector, negated: false),
            notLocalPod: syntax.localPodMatch(node.localTrafficDetector, negated: true))
    }

    var portRenderer: ServicePortRenderer { ServicePortRenderer(syntax: syntax, detector: detector) }

    mutating func add(_ rules: ServicePortRules) {
        for element in rules.elements { elements.add(element, owner: rules.owner) }
        for chain in rules.chains { serviceChains[chain.name] = chain }
        for chain in rules.sharedChains { sharedChainUsers[chain, default: 0] += 1 }
    }

    mutating func remove(_ rules: ServicePortRules) {
        for element in rules.elements { elements.remove(element, owner: rules.owner) }
        for chain in rules.chains { serviceChains[chain.name] = nil }
        for chain in rules.sharedChains {
            let users = (sharedChainUsers[chain] ?? 0) - 1
            sharedChainUsers[chain] = users > 0 ? users : nil
        }
    }
}
