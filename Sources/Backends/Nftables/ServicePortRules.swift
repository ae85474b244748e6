import ServiceModel

/// What one Service port contributes to a family's table: map and set elements, the shared chains those
/// elements jump to, and (for ClientIP affinity only) chains of its own.
struct ServicePortRules: Sendable {
    /// Identifies the port as an owner of elements (`ns/svc:port/TCP`).
    var owner: String
    var elements: [NftablesElement] = []
    var chains: [NftablesChain] = []
    var sharedChains: Set<SharedChain> = []
}

/// Renders one Service port for one family: a pure function of the port and the node settings.
struct ServicePortRenderer: Sendable {
    let syntax: NftablesSyntax
    let detector: LocalTrafficDetectorText

    func rules(for port: ServicePort) -> ServicePortRules {
        let proto = port.protocol.netfilterName
        var rules = ServicePortRules(owner: "\(port.name)/\(port.protocol)")
        let name = port.name.description

        rules.elements.append(NftablesElement(set: NftablesNames.clusterIPs, key: "\(port.clusterIP)"))
        // Every endpoint that can reach itself through this node: the local ones, those whose slice names no
        // node (they may be local), and — for externalTrafficPolicy Local with external addresses, where pods of
        // other nodes are short-circuited here — every cluster endpoint (upstream masquerades any endpoint reaching
        // itself). A pod of another node reaches a ClusterIP through its own node's rules, so its endpoints of other
        // Services cost no element here: at 10,000 Services with remote endpoints that is 20,000 elements less.
        let shortCircuited = port.shortCircuitsLocalExternalTraffic
        let hairpinning = port.reachableEndpoints.filter { shortCircuited || $0.isLocal || $0.nodeName == nil }
        for address in Set(hairpinning.map(\.address)).sorted() {
            rules.elements.append(NftablesElement(set: NftablesNames.hairpin, key: "\(address) . \(address)"))
        }

        // Traffic to the ClusterIP.
        let clusterKey = "\(port.clusterIP) . \(proto) . \(port.port)"
        switch port.internalTrafficAction {
        case .reject:
            rules.elements.append(noEndpoints(NftablesNames.noEndpointServices, clusterKey, reject: true, name))
        case .drop:
            rules.elements.append(noEndpoints(NftablesNames.noEndpointServices, clusterKey, reject: false, name))
        case .forward:
            let verdict: String
            if case .clientIP(let timeout) = port.sessionAffinity {
                verdict = "goto " + affinityChain(port, role: port.internalTrafficPolicy == .local ? .local : .cluster, timeout, into: &rules)
            } else {
                let endpoints = port.internalEndpoints
                verdict = use(.pick(endpoints.count), in: &rules)
                addEndpoints(endpoints, map: NftablesNames.serviceEndpoints, key: clusterKey, into: &rules)
            }
            rules.elements.append(NftablesElement(set: NftablesNames.serviceIPs, key: clusterKey, value: verdict, comment: .comment("\(name) cluster IP")))
        }

        guard port.isExternallyAccessible else { return rules }

        // Traffic to load-balancer and external IPs, then to the NodePort.
        let externalAddresses = port.loadBalancerIPs.map { ($0, "load balancer") } + port.externalIPs.map { ($0, "external IP") }
        for (address, kind) in externalAddresses {
            let key = "\(address) . \(proto) . \(port.port)"
            if port.externalTrafficAction == .reject {
                rules.elements.append(noEndpoints(NftablesNames.noEndpointServices, key, reject: true, name))
                continue
            }
            let verdict = externalVerdict(port, nodePort: false, key: key, into: &rules)
            rules.elements.append(NftablesElement(set: NftablesNames.serviceIPs, key: key, value: verdict, comment: .comment("\(name) \(kind)")))
        }
        if let ranges = port.loadBalancerSourceRanges {
            for address in port.loadBalancerIPs {
                let key = "\(address) . \(proto) . \(port.port)"
                rules.elements.append(NftablesElement(set: NftablesNames.firewallIPs, key: key, comment: .comment("\(name) source ranges")))
                // The load balancer's own address joins the ranges when a node IP is inside one; it may lie inside
                // a range itself, and the kernel refuses overlapping intervals: only outer prefixes are loaded.
                var allowed = ranges
                if port.loadBalancerSourceRangesIncludeNode, let host = CIDR(address: address, prefixLength: syntax.hostPrefixLength) {
                    allowed.append(host)
                }
                if !allowed.isEmpty {
                    rules.elements.append(
                        NftablesElement(
                            set: NftablesNames.firewallAllow, key: key,
                            intervals: CIDR.nonOverlapping(allowed).map(\.description)))
                }
            }
        }
        if let nodePort = port.nodePort {
            let key = "\(proto) . \(nodePort)"
            if port.externalTrafficAction == .reject {
                rules.elements.append(noEndpoints(NftablesNames.noEndpointNodePorts, key, reject: true, name))
            } else {
                let verdict = externalVerdict(port, nodePort: true, key: key, into: &rules)
                rules.elements.append(NftablesElement(set: NftablesNames.serviceNodePorts, key: key, value: verdict, comment: .comment("\(name) node port")))
            }
        }
        return rules
    }

    /// The verdict for external traffic to `key`, adding the endpoint elements it needs.
    private func externalVerdict(_ port: ServicePort, nodePort: Bool, key: String, into rules: inout ServicePortRules) -> String {
        let clusterMap = nodePort ? NftablesNames.nodePortEndpoints : NftablesNames.serviceEndpoints
        let localMap = nodePort ? NftablesNames.nodePortLocalEndpoints : NftablesNames.serviceLocalEndpoints
        if case .clientIP(let timeout) = port.sessionAffinity {
            return "goto " + affinityExternalChain(port, timeout, into: &rules)
        }
        let cluster = port.clusterEndpoints
        addEndpoints(cluster, map: clusterMap, key: key, into: &rules)
        if port.shortCircuitsLocalExternalTraffic {
            let local = port.localEndpoints
            addEndpoints(local, map: localMap, key: key, into: &rules)
            return use(nodePort ? .nodePortLocal(cluster: cluster.count, local: local.count) : .externalLocal(cluster: cluster.count, local: local.count), in: &rules)
        }
        return use(nodePort ? .nodePortMasqueradePick(cluster.count) : .masqueradePick(cluster.count), in: &rules)
    }

    private func use(_ chain: SharedChain, in rules: inout ServicePortRules) -> String {
        var pending = [chain]
        while let next = pending.popLast() {
            if rules.sharedChains.insert(next).inserted { pending += next.dependencies }
        }
        return "goto \(chain.name)"
    }

    private func addEndpoints(_ endpoints: [ServiceEndpoint], map: String, key: String, into rules: inout ServicePortRules) {
        for (slot, endpoint) in endpoints.enumerated() {
            rules.elements.append(NftablesElement(set: map, key: "\(key) . \(slot)", value: "\(endpoint.address) . \(endpoint.port)"))
        }
    }

    private func noEndpoints(_ map: String, _ key: String, reject: Bool, _ name: String) -> NftablesElement {
        NftablesElement(
            set: map, key: key, value: reject ? "goto \(NftablesNames.rejectChain)" : "drop",
            comment: .comment(reject ? "\(name) has no endpoints" : "\(name) has no local endpoints"))
    }

    // MARK: ClientIP affinity

    enum AffinityRole: String {
        case cluster, local
    }

    /// A chain that picks among `role`'s endpoints, preferring the one this client used within `timeout`.
    ///
    /// The affinity key is `client . service port . endpoint`, the last two as constants (`numgen random mod 1
    /// offset X` always yields X): one dynamic set serves every Service, however many there are.
    private func affinityChain(_ port: ServicePort, role: AffinityRole, _ timeout: Int, into rules: inout ServicePortRules) -> String {
        let chainName = "affinity-\(StableHash.hex32(rules.owner))-\(role.rawValue)"
        if rules.chains.contains(where: { $0.name == chainName }) { return chainName }
        let endpoints = role == .local ? port.localEndpoints : port.clusterEndpoints
        let ip = syntax.payload
        let proto = "meta l4proto \(port.protocol.netfilterName)"
        let service = "numgen random mod 1 offset \(StableHash.fnv32(rules.owner))"
        var body: [String] = []
        func key(_ endpoint: ServiceEndpoint) -> String {
            "\(ip) saddr . \(service) . numgen random mod 1 offset \(StableHash.fnv32(endpoint.description))"
        }
        func choose(_ endpoint: ServiceEndpoint) -> String {
            "update @\(NftablesNames.affinity) { \(key(endpoint)) timeout \(timeout)s } dnat \(ip) to \(syntax.target(endpoint.address, endpoint.port))"
        }
        for endpoint in endpoints {
            body.append("\(proto) \(key(endpoint)) @\(NftablesNames.affinity) \(choose(endpoint))")
        }
        for (index, endpoint) in endpoints.enumerated() {
            let remaining = endpoints.count - index
            body.append(remaining > 1 ? "\(proto) numgen random mod \(remaining) == 0 \(choose(endpoint))" : "\(proto) \(choose(endpoint))")
        }
        if endpoints.isEmpty { body.append("drop") }
        rules.chains.append(NftablesChain(name: chainName, comment: .comment("\(port.name) \(role.rawValue) endpoints, ClientIP affinity"), rules: body))
        return chainName
    }

    /// The external entry of an affinity Service: masquerade then cluster endpoints (eTP Cluster), or the
    /// eTP=Local short-circuit.
    private func affinityExternalChain(_ port: ServicePort, _ timeout: Int, into rules: inout ServicePortRules) -> String {
        let cluster = affinityChain(port, role: .cluster, timeout, into: &rules)
        let mark = "meta mark set meta mark or \(NftablesNames.masqueradeMark)"
        let chainName = "affinity-\(StableHash.hex32(rules.owner))-external"
        if rules.chains.contains(where: { $0.name == chainName }) { return chainName }
        var body: [String] = []
        if port.shortCircuitsLocalExternalTraffic {
            if let match = detector.localPod { body.append("\(match) goto \(cluster)") }
            body.append("fib saddr type local \(mark) goto \(cluster)")
            body.append(port.localEndpoints.isEmpty ? "drop" : "goto " + affinityChain(port, role: .local, timeout, into: &rules))
        } else {
            body.append("\(mark) goto \(cluster)")
        }
        rules.chains.append(NftablesChain(name: chainName, comment: .comment("\(port.name) external traffic"), rules: body))
        return chainName
    }
}
