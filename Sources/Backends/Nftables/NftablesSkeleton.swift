import ServiceModel

/// The fixed part of a family's table: every set and map (a constant number, whatever the number of Services),
/// the base chains with their hooks and priorities, and the rules that dispatch into the maps.
struct NftablesSkeleton: Sendable {
    let syntax: NftablesSyntax
    let node: DesiredState.NodeSettings

    struct SetDeclaration {
        var kind: String  // "set" or "map"
        var name: String
        var body: String
    }

    /// Sets and maps whose elements belong to Service ports, in the order their elements are written.
    static let elementSetOrder = [
        NftablesNames.clusterIPs, NftablesNames.hairpin, NftablesNames.serviceIPs, NftablesNames.serviceNodePorts,
        NftablesNames.serviceEndpoints, NftablesNames.serviceLocalEndpoints, NftablesNames.nodePortEndpoints,
        NftablesNames.nodePortLocalEndpoints, NftablesNames.noEndpointServices, NftablesNames.noEndpointNodePorts,
        NftablesNames.firewallIPs, NftablesNames.firewallAllow,
    ]

    var declarations: [SetDeclaration] {
        let addr = syntax.addressType
        let ip = syntax.payload
        let serviceKey = "\(addr) . inet_proto . inet_service"
        // `tcp dport` stands for every protocol's port here (same type); `th dport` would be simpler, but
        // nftables 1.0.6 then refuses rules added to an existing table ("conflicting protocols specified").
        let endpointMap = "typeof \(ip) daddr . meta l4proto . tcp dport . numgen random mod 1 : \(ip) daddr . tcp dport"
        let nodePortEndpointMap = "typeof meta l4proto . tcp dport . numgen random mod 1 : \(ip) daddr . tcp dport"
        return [
            SetDeclaration(kind: "set", name: NftablesNames.clusterIPs, body: "type \(addr) ; comment \"ClusterIPs of proxied Services\""),
            SetDeclaration(kind: "set", name: NftablesNames.nodePortIPs, body: "type \(addr) ; comment \"addresses that serve NodePorts\""),
            SetDeclaration(kind: "map", name: NftablesNames.serviceIPs, body: "type \(serviceKey) : verdict ; comment \"ClusterIP, load-balancer and external IP traffic\""),
            SetDeclaration(kind: "map", name: NftablesNames.serviceNodePorts, body: "type inet_proto . inet_service : verdict ; comment \"NodePort traffic\""),
            SetDeclaration(kind: "map", name: NftablesNames.serviceEndpoints, body: "\(endpointMap) ; comment \"endpoint slots by destination\""),
            SetDeclaration(kind: "map", name: NftablesNames.serviceLocalEndpoints, body: "\(endpointMap) ; comment \"local endpoint slots by destination, externalTrafficPolicy Local\""),
            SetDeclaration(kind: "map", name: NftablesNames.nodePortEndpoints, body: "\(nodePortEndpointMap) ; comment \"endpoint slots by NodePort\""),
            SetDeclaration(kind: "map", name: NftablesNames.nodePortLocalEndpoints, body: "\(nodePortEndpointMap) ; comment \"local endpoint slots by NodePort, externalTrafficPolicy Local\""),
            SetDeclaration(kind: "map", name: NftablesNames.noEndpointServices, body: "type \(serviceKey) : verdict ; comment \"reject (no endpoints) or drop (no local endpoints)\""),
            SetDeclaration(kind: "map", name: NftablesNames.noEndpointNodePorts, body: "type inet_proto . inet_service : verdict ; comment \"reject NodePorts without endpoints\""),
            SetDeclaration(kind: "set", name: NftablesNames.firewallIPs, body: "type \(serviceKey) ; comment \"load-balancer IPs with loadBalancerSourceRanges\""),
            SetDeclaration(kind: "set", name: NftablesNames.firewallAllow, body: "type \(serviceKey) . \(addr) ; flags interval ; comment \"allowed source ranges per load-balancer IP\""),
            SetDeclaration(kind: "set", name: NftablesNames.hairpin, body: "type \(addr) . \(addr) ; comment \"local endpoint reaching itself through a Service\""),
            SetDeclaration(kind: "set", name: NftablesNames.affinity, body: "typeof \(ip) saddr . numgen random mod 1 . numgen random mod 1 ; flags dynamic,timeout ; size 1048576 ; comment \"ClientIP affinity: client . service port . endpoint\""),
        ]
    }

    /// Every set but `affinity`, whose entries must survive a full resync.
    var flushableSets: [SetDeclaration] { declarations.filter { $0.name != NftablesNames.affinity } }

    func setDeclarations(_ table: String) -> [String] {
        declarations.map { "add \($0.kind) \(table) \($0.name) { \($0.body) ; }" }
    }

    struct BaseChain {
        var name: String
        var hook: String
    }

    /// Base chains: filter checks around DNAT, the DNAT dispatch, and masquerading.
    static let baseChains: [BaseChain] = [
        // Before DNAT: load-balancer source ranges must see the original destination.
        BaseChain(name: "filter-prerouting", hook: "type filter hook prerouting priority dstnat - 10"),
        BaseChain(name: "filter-output", hook: "type filter hook output priority -110"),
        // After DNAT (input and forward come after prerouting): what was not DNATed has no endpoints.
        BaseChain(name: "filter-input", hook: "type filter hook input priority -110"),
        BaseChain(name: "filter-forward", hook: "type filter hook forward priority -110"),
        BaseChain(name: "filter-output-post-dnat", hook: "type filter hook output priority -90"),
        BaseChain(name: "nat-prerouting", hook: "type nat hook prerouting priority dstnat"),
        BaseChain(name: "nat-output", hook: "type nat hook output priority -100"),
        BaseChain(name: "nat-postrouting", hook: "type nat hook postrouting priority srcnat"),
    ]

    static let regularChains = [
        "firewall-check", "service-endpoints-check", "nodeport-endpoints-check", "cluster-ips-check",
        NftablesNames.rejectChain, "services", "masquerading",
    ]

    func chainDeclarations(_ table: String) -> [String] {
        Self.baseChains.map { "add chain \(table) \($0.name) { \($0.hook) ; policy accept ; }" }
            + Self.regularChains.map { "add chain \(table) \($0)" }
    }

    /// The rules of the base and regular chains.
    func rules(_ table: String, detector: LocalTrafficDetectorText) -> [String] {
        let ip = syntax.payload
        let serviceKey = "\(ip) daddr . meta l4proto . th dport"
        let mark = NftablesNames.masqueradeMark
        let nodePortDestination: String
        switch node.nodePortAddresses {
        case .allLocal: nodePortDestination = "\(ip) daddr != \(syntax.loopback) fib daddr type local"
        case .addresses: nodePortDestination = "\(ip) daddr @\(NftablesNames.nodePortIPs)"
        }
        var chains: [(String, [String])] = [
            ("filter-prerouting", ["ct state new jump firewall-check"]),
            ("filter-output", ["ct state new jump service-endpoints-check", "ct state new jump firewall-check"]),
            ("filter-input", ["ct state new jump nodeport-endpoints-check", "ct state new jump service-endpoints-check"]),
            ("filter-forward", ["ct state new jump service-endpoints-check", "ct state new jump cluster-ips-check"]),
            ("filter-output-post-dnat", ["ct state new jump cluster-ips-check"]),
            ("nat-prerouting", ["jump services"]),
            ("nat-output", ["jump services"]),
            ("nat-postrouting", ["jump masquerading"]),
            ("firewall-check", [
                "\(serviceKey) . \(ip) saddr @\(NftablesNames.firewallAllow) return",
                "\(serviceKey) @\(NftablesNames.firewallIPs) drop",
            ]),
            ("service-endpoints-check", ["\(serviceKey) vmap @\(NftablesNames.noEndpointServices)"]),
            ("nodeport-endpoints-check", ["\(nodePortDestination) meta l4proto . th dport vmap @\(NftablesNames.noEndpointNodePorts)"]),
            // A ClusterIP port that no Service defines is refused, as kube-proxy's nftables mode does.
            ("cluster-ips-check", ["\(ip) daddr @\(NftablesNames.clusterIPs) reject"]),
            (NftablesNames.rejectChain, ["reject"]),
        ]
        var services: [String] = []
        if node.masqueradeAll {
            services.append("\(ip) daddr @\(NftablesNames.clusterIPs) meta mark set meta mark or \(mark)")
        } else if let notLocal = detector.notLocalPod {
            services.append("\(ip) daddr @\(NftablesNames.clusterIPs) \(notLocal) meta mark set meta mark or \(mark)")
        }
        services.append("\(serviceKey) vmap @\(NftablesNames.serviceIPs)")
        services.append("\(nodePortDestination) meta l4proto . th dport vmap @\(NftablesNames.serviceNodePorts)")
        chains.append(("services", services))
        chains.append(("masquerading", [
            "ct status dnat \(ip) saddr . \(ip) daddr @\(NftablesNames.hairpin) meta mark set meta mark or \(mark)",
            "meta mark & \(mark) == 0 return",
            "meta mark set meta mark xor \(mark)",
            "masquerade fully-random",
        ]))
        return chains.flatMap { chain, rules in rules.map { "add rule \(table) \(chain) \($0)" } }
    }

    /// Node-owned elements: the NodePort addresses.
    func nodeElements(_ table: String) -> [String] {
        guard case .addresses(let addresses) = node.nodePortAddresses, !addresses.isEmpty else { return [] }
        return ["add element \(table) \(NftablesNames.nodePortIPs) { \(addresses.map(\.description).joined(separator: ", ")) }"]
    }
}
