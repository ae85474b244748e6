import ServiceModel

/// What proxyd has programmed (or will program) into one family's table, kept in memory so that partial
/// syncs send only differences and never list the table.
public struct NftablesRendering: Sendable {
    let syntax: NftablesSyntax
    let node: DesiredState.NodeSettings
    var elements = NftablesElementTable()
    /// Per-Service chains (ClientIP affinity only), by name.
    var serviceChains: [String: NftablesChain] = [:]
    /// Shared endpoint-picking chains that exist.
    var sharedChains: Set<SharedChain> = []

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
        sharedChains.formUnion(rules.sharedChains)
    }

    mutating func remove(_ rules: ServicePortRules) {
        for element in rules.elements { elements.remove(element, owner: rules.owner) }
        for chain in rules.chains { serviceChains[chain.name] = nil }
    }
}
