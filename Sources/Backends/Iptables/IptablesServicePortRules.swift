import ServiceModel

/// What one Service port contributes to a family's iptables: rules in proxyd's top-level chains (written in
/// full by every sync) and chains of its own in the nat table (written only when the port changes).
///
/// - Important: Every jump in these rules targets a chain this value declares, a top-level chain, or a
///   built-in target, so that one port's rules can never make the restore refer to a missing chain.
struct IptablesServicePortRules: Sendable, Hashable {
    let name: ServicePortName
    /// `-A PROXYD-SERVICES …` and `-A PROXYD-NODEPORTS …` lines of the nat table, in order.
    private(set) var natTopLevel: [String] = []
    /// Lines for the filter table's top-level chains (rejects, drops, firewall, health check ports), in order.
    private(set) var filterTopLevel: [String] = []
    /// How many of those lines each top-level chain holds (indexed by `IptablesTopLevelChain`): a port's rules
    /// start in a chain after the rules of every port before it.
    private(set) var topLevelCounts = IptablesTopLevelChain.Counts()
    /// The port's own nat chains (EXT, FW, SVC, SVL, SEP), in the order kube-proxy writes them.
    var chains: [IptablesChain] = []
    /// The destinations this port captures (`address:port/protocol`, `node port 30080/TCP`), to report two ports
    /// claiming one.
    var claims: [String] = []
}

extension IptablesServicePortRules {
    /// Appends `-A <chain> <rule>` to the port's lines of `chain`'s table.
    mutating func append(_ chain: IptablesTopLevelChain, _ rule: String) {
        let line = "-A \(chain.name) \(rule)"
        if chain.table == "nat" { natTopLevel.append(line) } else { filterTopLevel.append(line) }
        topLevelCounts[chain.rawValue] += 1
    }

    /// The port's lines in `chain`, in order (`-A CHAIN …`).
    func lines(in chain: IptablesTopLevelChain) -> [String] {
        guard topLevelCounts[chain.rawValue] > 0 else { return [] }
        let prefix = "-A \(chain.name) "
        return (chain.table == "nat" ? natTopLevel : filterTopLevel).filter { $0.hasPrefix(prefix) }
    }
}

/// proxyd's top-level chains that hold rules of every Service port (as opposed to the ports' own chains and the
/// fixed rules of `PROXYD-POSTROUTING`, `PROXYD-FORWARD`, …). A partial sync edits them in place: it deletes a
/// changed port's old rules by their exact text and inserts its new ones where a full sync would put them, so
/// that a one-Service change does not rewrite a rule per Service.
enum IptablesTopLevelChain: Int, CaseIterable, Sendable {
    case natServices, natNodePorts, filterServices, filterExternalServices, filterNodePorts, filterProxyFirewall

    var table: String {
        switch self {
        case .natServices, .natNodePorts: "nat"
        case .filterServices, .filterExternalServices, .filterNodePorts, .filterProxyFirewall: "filter"
        }
    }

    var name: String {
        switch self {
        case .natServices, .filterServices: IptablesNames.services
        case .natNodePorts, .filterNodePorts: IptablesNames.nodePorts
        case .filterExternalServices: IptablesNames.externalServices
        case .filterProxyFirewall: IptablesNames.proxyFirewall
        }
    }

    /// Rules per top-level chain (lanes 0…5, by `rawValue`; 6 and 7 unused): one vector add per port when
    /// summing over thousands of them.
    typealias Counts = SIMD8<Int32>
}

/// One chain and its rules, each a whole `-A CHAIN …` line.
struct IptablesChain: Sendable, Hashable {
    let name: String
    var rules: [String]
}

/// Renders one Service port for one family: a pure function of the port and the node settings, following kube-proxy's `syncProxyRules` rule for rule.
struct IptablesPortRenderer: Sendable {
    /// `-s 10.244.0.0/16` / `! -s 10.244.0.0/16` (or `-i`), when local traffic can be told apart.
    let detector: IptablesLocalDetector?
    /// `--masquerade-all`: every ClusterIP connection is masqueraded.
    let masqueradeAll: Bool
    /// Large cluster mode: per-endpoint rules without comments.
    let largeCluster: Bool

    func rules(for port: ServicePort) -> IptablesServicePortRules {
        let chains = IptablesNames.PortChains(port.name)
        let name = chains.portName
        let proto = chains.proto
        let protoMatch = "-m \(proto) -p \(proto)"
        var rules = IptablesServicePortRules(name: port.name)

        let hasEndpoints = port.hasAnyEndpoints
        let accessible = port.isExternallyAccessible
        let clusterEndpoints = Self.unique(port.clusterEndpoints)
        let localEndpoints = Self.unique(port.localEndpoints)
        // Which endpoint-picking chains exist (kube-proxy's UsesClusterEndpoints / UsesLocalEndpoints): the
        // cluster chain also serves the short-circuit of eTP=Local traffic from this node and its pods.
        let usesClusterChain = !clusterEndpoints.isEmpty && (port.internalTrafficPolicy == .cluster || accessible)
        let usesLocalChain = !localEndpoints.isEmpty
            && (port.internalTrafficPolicy == .local || (port.externalTrafficPolicy == .local && accessible))
        let internalChain = port.internalTrafficPolicy == .local ? chains.localPolicy : chains.clusterPolicy
        let hasInternalEndpoints = port.internalTrafficAction == .forward
            && (port.internalTrafficPolicy == .local ? usesLocalChain : usesClusterChain)
        let externalPolicyChain = port.externalTrafficPolicy == .local ? chains.localPolicy : chains.clusterPolicy
        let hasExternalEndpoints = port.externalTrafficAction == .forward
            && (port.externalTrafficPolicy == .local ? usesLocalChain : usesClusterChain)
        let usesExternalChain = hasEndpoints && accessible
        let usesFirewallChain = hasEndpoints && !port.loadBalancerIPs.isEmpty && port.loadBalancerSourceRanges != nil
        let loadBalancerChain = usesFirewallChain ? chains.firewall : chains.external

        // Traffic no endpoint may take: REJECT when there are none at all, DROP when a Local policy finds none here.
        let noEndpointsTarget = hasEndpoints ? "DROP" : "REJECT"
        let noEndpointsComment = IptablesComment(hasEndpoints ? "\(name) has no local endpoints" : "\(name) has no endpoints").match

        // The ClusterIP.
        let clusterIPMatch = "\(protoMatch) -d \(port.clusterIP) --dport \(port.port)"
        let clusterIPComment = IptablesComment("\(name) cluster IP").match
        rules.claims.append("\(endpointText(port.clusterIP, port.port))/\(port.protocol)")
        if hasInternalEndpoints {
            rules.append(.natServices, "\(clusterIPComment) \(clusterIPMatch) -j \(internalChain)")
        } else {
            rules.append(.filterServices, "\(noEndpointsComment) \(clusterIPMatch) -j \(noEndpointsTarget)")
        }

        // External IPs.
        let externalIPComment = IptablesComment("\(name) external IP").match
        for address in port.externalIPs {
            let match = "\(protoMatch) -d \(address) --dport \(port.port)"
            rules.claims.append("\(endpointText(address, port.port))/\(port.protocol)")
            if hasEndpoints {
                rules.append(.natServices, "\(externalIPComment) \(match) -j \(chains.external)")
            }
            if !hasExternalEndpoints {
                rules.append(.filterExternalServices, "\(noEndpointsComment) \(match) -j \(noEndpointsTarget)")
            }
        }

        // Load-balancer IPs.
        let loadBalancerComment = IptablesComment("\(name) loadbalancer IP").match
        let notAcceptedComment = IptablesComment("\(name) traffic not accepted by \(chains.firewall)").match
        for address in port.loadBalancerIPs {
            let match = "\(protoMatch) -d \(address) --dport \(port.port)"
            rules.claims.append("\(endpointText(address, port.port))/\(port.protocol)")
            if hasEndpoints {
                rules.append(.natServices, "\(loadBalancerComment) \(match) -j \(loadBalancerChain)")
            }
            if usesFirewallChain {
                rules.append(.filterProxyFirewall, "\(notAcceptedComment) \(match) -j DROP")
            }
        }
        if !hasExternalEndpoints {
            for address in port.loadBalancerIPs {
                let match = "\(protoMatch) -d \(address) --dport \(port.port)"
                rules.append(.filterExternalServices, "\(noEndpointsComment) \(match) -j \(noEndpointsTarget)")
            }
        }

        // The NodePort (not subject to loadBalancerSourceRanges, as in kube-proxy).
        if let nodePort = port.nodePort {
            rules.claims.append("node port \(nodePort)/\(port.protocol)")
            if hasEndpoints {
                rules.append(.natNodePorts, "\(IptablesComment(name).match) \(protoMatch) --dport \(nodePort) -j \(chains.external)")
            }
            if !hasExternalEndpoints {
                rules.append(
                    .filterExternalServices, "\(noEndpointsComment) -m addrtype --dst-type LOCAL \(protoMatch) --dport \(nodePort) -j \(noEndpointsTarget)")
            }
        }

        // The health check node port is accepted whether or not there are local endpoints.
        if let healthCheck = port.healthCheckNodePort {
            rules.append(
                .filterNodePorts, "\(IptablesComment("\(name) health check node port").match) -m tcp -p tcp --dport \(healthCheck) -j ACCEPT")
        }

        // The port's own chains.
        var clusterChain = IptablesChain(name: chains.clusterPolicy, rules: [])
        var localChain = IptablesChain(name: chains.localPolicy, rules: [])
        if hasInternalEndpoints {
            // Masquerade ClusterIP traffic from outside the pod network (or all of it with --masquerade-all).
            var masquerade: String?
            if masqueradeAll {
                masquerade = "-A \(internalChain) \(clusterIPComment) \(clusterIPMatch) -j \(IptablesNames.markMasquerade)"
            } else if let detector {
                masquerade = "-A \(internalChain) \(clusterIPComment) \(clusterIPMatch) \(detector.ifNotLocal) -j \(IptablesNames.markMasquerade)"
            }
            if let masquerade {
                if internalChain == chains.clusterPolicy { clusterChain.rules.append(masquerade) } else { localChain.rules.append(masquerade) }
            }
        }

        if usesExternalChain {
            var external = IptablesChain(name: chains.external, rules: [])
            if port.externalTrafficPolicy == .cluster {
                // Endpoints may be on other nodes: masquerade so that replies come back through this one.
                external.rules.append(
                    "-A \(chains.external) \(IptablesComment("masquerade traffic for \(name) external destinations").match) -j \(IptablesNames.markMasquerade)")
            } else if usesClusterChain {
                // Traffic from this node's pods and from the node itself is short-circuited to every endpoint, as
                // if it had gone out to the load balancer and come back.
                if let detector {
                    external.rules.append(
                        "-A \(chains.external) \(IptablesComment("pod traffic for \(name) external destinations").match) \(detector.ifLocal) -j \(chains.clusterPolicy)")
                }
                external.rules.append(
                    "-A \(chains.external) \(IptablesComment("masquerade LOCAL traffic for \(name) external destinations").match) -m addrtype --src-type LOCAL -j \(IptablesNames.markMasquerade)")
                external.rules.append(
                    "-A \(chains.external) \(IptablesComment("route LOCAL traffic for \(name) external destinations").match) -m addrtype --src-type LOCAL -j \(chains.clusterPolicy)")
            }
            if hasExternalEndpoints {
                external.rules.append("-A \(chains.external) -j \(externalPolicyChain)")
            }
            rules.chains.append(external)
        }

        if usesFirewallChain {
            var firewall = IptablesChain(name: chains.firewall, rules: [])
            var sources = (port.loadBalancerSourceRanges ?? []).map(\.description)
            // A node IP inside the ranges: the node's own traffic to its load balancer loops back from the LB IP.
            if port.loadBalancerSourceRangesIncludeNode { sources += port.loadBalancerIPs.map(\.description) }
            for source in sources {
                firewall.rules.append("-A \(chains.firewall) \(loadBalancerComment) -s \(source) -j \(chains.external)")
            }
            firewall.rules.append(
                "-A \(chains.firewall) \(IptablesComment("other traffic to \(name) will be dropped by \(IptablesNames.proxyFirewall)").match)")
            rules.chains.append(firewall)
        }

        // Kubernetes' range (the model enforces it): a value iptables refuses would fail every Service's restore.
        let affinity: Int? = if case .clientIP(let timeout) = port.sessionAffinity { min(max(timeout, 1), 86400) } else { nil }
        if usesClusterChain {
            clusterChain.rules += endpointRules(chains.clusterPolicy, clusterEndpoints, chains: chains, affinity: affinity)
            rules.chains.append(clusterChain)
        }
        if usesLocalChain {
            localChain.rules += endpointRules(chains.localPolicy, localEndpoints, chains: chains, affinity: affinity)
            rules.chains.append(localChain)
        }

        // One chain per endpoint either policy chain uses: hairpin masquerade, then DNAT.
        var reachable = (usesClusterChain ? clusterEndpoints : []) + (usesLocalChain ? localEndpoints : [])
        reachable = Self.unique(reachable.sorted())
        let endpointComment = largeCluster ? "" : IptablesComment(name).match + " "
        for endpoint in reachable {
            let chain = chains.endpoint(endpoint)
            let remember = affinity == nil ? "" : "-m recent --name \(chain) --set "
            rules.chains.append(IptablesChain(name: chain, rules: [
                "-A \(chain) \(endpointComment)-s \(endpoint.address) -j \(IptablesNames.markMasquerade)",
                "-A \(chain) \(endpointComment)\(remember)\(protoMatch) -j DNAT --to-destination \(endpoint)",
            ]))
        }
        return rules
    }

    /// kube-proxy's `writeServiceToEndpointRules`: affinity checks first, then endpoint i of n taken with
    /// probability 1/(n−i), the last one always.
    private func endpointRules(
        _ chain: String, _ endpoints: [ServiceEndpoint], chains: IptablesNames.PortChains, affinity: Int?
    ) -> [String] {
        var lines: [String] = []
        func comment(_ endpoint: ServiceEndpoint) -> String {
            largeCluster ? "" : IptablesComment("\(chains.portName) -> \(endpoint)").match + " "
        }
        if let affinity {
            for endpoint in endpoints {
                let target = chains.endpoint(endpoint)
                lines.append("-A \(chain) \(comment(endpoint))-m recent --name \(target) --rcheck --seconds \(affinity) --reap -j \(target)")
            }
        }
        for (index, endpoint) in endpoints.enumerated() {
            let remaining = endpoints.count - index
            let statistic = remaining > 1 ? "-m statistic --mode random --probability \(Self.probability(remaining)) " : ""
            lines.append("-A \(chain) \(comment(endpoint))\(statistic)-j \(chains.endpoint(endpoint))")
        }
        return lines
    }

    private func endpointText(_ address: IPAddress, _ port: UInt16) -> String {
        address.family == .ipv6 ? "[\(address)]:\(port)" : "\(address):\(port)"
    }

    /// Endpoints without repeats of one `address:port` (one chain each), first occurrence kept.
    static func unique(_ endpoints: [ServiceEndpoint]) -> [ServiceEndpoint] {
        var seen = Set<String>()
        return endpoints.filter { seen.insert($0.description).inserted }
    }

    /// `1/n` with ten decimals, as kube-proxy writes it (`%0.10f`).
    static func probability(_ n: Int) -> String {
        n < precomputedProbabilities.count ? precomputedProbabilities[n] : formatProbability(n)
    }

    private static let precomputedProbabilities: [String] = (0...256).map { $0 == 0 ? "" : formatProbability($0) }

    /// 1/n rounded to ten decimals, in integer arithmetic (an exact tie rounds to even, as Go's formatting of
    /// the exact binary value of 1/n does for powers of two).
    static func formatProbability(_ n: Int) -> String {
        let scale: UInt64 = 10_000_000_000
        var digits = scale / UInt64(n)
        let remainder = scale % UInt64(n)
        if remainder * 2 > UInt64(n) || (remainder * 2 == UInt64(n) && digits % 2 == 1) { digits += 1 }
        let whole = digits / scale
        let fraction = String(digits % scale)
        return "\(whole)." + String(repeating: "0", count: 10 - fraction.count) + fraction
    }
}
