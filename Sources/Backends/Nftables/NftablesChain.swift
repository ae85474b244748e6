/// A regular chain proxyd owns: its name and rules as nft writes them (without the `add rule … chain` prefix).
struct NftablesChain: Sendable, Hashable {
    var name: String
    /// Written as a `#` line before the chain's rules.
    var comment: NftablesString?
    var rules: [String]
}

/// Chains shared by every Service port with the same number of endpoints: they pick an endpoint with
/// `numgen random mod N` through one of the endpoint maps, so no chain or set exists per Service.
enum SharedChain: Sendable, Hashable, Comparable {
    /// DNAT to slot `numgen random mod N` of the packet's own `address . protocol . port` in
    /// `service-endpoints`.
    case pick(Int)
    /// Mark for masquerade, then `pick(N)`.
    case masqueradePick(Int)
    /// Like `pick`, through `service-local-endpoints`.
    case pickLocal(Int)
    /// externalTrafficPolicy Local: local pods → `pick(cluster)`, the node → `masqueradePick(cluster)`,
    /// everyone else → `pickLocal(local)`, or drop when `local` is 0.
    case externalLocal(cluster: Int, local: Int)
    /// The NodePort equivalents, keyed by `protocol . port` only (the destination is any NodePort address).
    case nodePortPick(Int)
    case nodePortMasqueradePick(Int)
    case nodePortPickLocal(Int)
    case nodePortLocal(cluster: Int, local: Int)

    var name: String {
        switch self {
        case .pick(let n): "pick-\(n)"
        case .masqueradePick(let n): "masq-pick-\(n)"
        case .pickLocal(let n): "pick-local-\(n)"
        case .externalLocal(let c, let l): "external-local-\(c)-\(l)"
        case .nodePortPick(let n): "nodeport-pick-\(n)"
        case .nodePortMasqueradePick(let n): "nodeport-masq-pick-\(n)"
        case .nodePortPickLocal(let n): "nodeport-pick-local-\(n)"
        case .nodePortLocal(let c, let l): "nodeport-local-\(c)-\(l)"
        }
    }

    /// The chains this one jumps to (which must exist first).
    var dependencies: [SharedChain] {
        switch self {
        case .pick, .pickLocal, .nodePortPick, .nodePortPickLocal: []
        case .masqueradePick(let n): [.pick(n)]
        case .nodePortMasqueradePick(let n): [.nodePortPick(n)]
        case .externalLocal(let c, let l): [.pick(c), .masqueradePick(c)] + (l > 0 ? [.pickLocal(l)] : [])
        case .nodePortLocal(let c, let l):
            [.nodePortPick(c), .nodePortMasqueradePick(c)] + (l > 0 ? [.nodePortPickLocal(l)] : [])
        }
    }

    /// Sort order: dependencies before the chains that use them.
    private var rank: (Int, Int, Int) {
        switch self {
        case .pick(let n): (0, n, 0)
        case .pickLocal(let n): (1, n, 0)
        case .nodePortPick(let n): (2, n, 0)
        case .nodePortPickLocal(let n): (3, n, 0)
        case .masqueradePick(let n): (4, n, 0)
        case .nodePortMasqueradePick(let n): (5, n, 0)
        case .externalLocal(let c, let l): (6, c, l)
        case .nodePortLocal(let c, let l): (7, c, l)
        }
    }

    static func < (lhs: SharedChain, rhs: SharedChain) -> Bool { lhs.rank < rhs.rank }

    func chain(_ syntax: NftablesSyntax, _ detector: LocalTrafficDetectorText) -> NftablesChain {
        let ip = syntax.payload
        let mark = "meta mark set meta mark or \(NftablesNames.masqueradeMark)"
        /// One rule per protocol, each naming its own port field (see the map declarations for why).
        func dnat(_ map: String, key: @escaping (String) -> String, _ n: Int) -> [String] {
            ["tcp", "udp", "sctp"].map { proto in
                "meta l4proto \(proto) dnat \(ip) to \(key(proto)) . numgen random mod \(n) map @\(map)"
            }
        }
        let serviceKey = { (proto: String) in "\(ip) daddr . meta l4proto . \(proto) dport" }
        let nodePortKey = { (proto: String) in "meta l4proto . \(proto) dport" }
        func shortCircuit(pick: SharedChain, masqueradePick: SharedChain, local: SharedChain?) -> [String] {
            var rules: [String] = []
            if let match = detector.localPod { rules.append("\(match) goto \(pick.name)") }
            rules.append("fib saddr type local goto \(masqueradePick.name)")
            rules.append(local.map { "goto \($0.name)" } ?? "drop")
            return rules
        }
        switch self {
        case .pick(let n):
            return NftablesChain(name: name, rules: dnat(NftablesNames.serviceEndpoints, key: serviceKey, n))
        case .pickLocal(let n):
            return NftablesChain(name: name, rules: dnat(NftablesNames.serviceLocalEndpoints, key: serviceKey, n))
        case .nodePortPick(let n):
            return NftablesChain(name: name, rules: dnat(NftablesNames.nodePortEndpoints, key: nodePortKey, n))
        case .nodePortPickLocal(let n):
            return NftablesChain(name: name, rules: dnat(NftablesNames.nodePortLocalEndpoints, key: nodePortKey, n))
        case .masqueradePick(let n):
            return NftablesChain(name: name, rules: ["\(mark) goto \(SharedChain.pick(n).name)"])
        case .nodePortMasqueradePick(let n):
            return NftablesChain(name: name, rules: ["\(mark) goto \(SharedChain.nodePortPick(n).name)"])
        case .externalLocal(let c, let l):
            return NftablesChain(
                name: name,
                rules: shortCircuit(pick: .pick(c), masqueradePick: .masqueradePick(c), local: l > 0 ? .pickLocal(l) : nil))
        case .nodePortLocal(let c, let l):
            return NftablesChain(
                name: name,
                rules: shortCircuit(
                    pick: .nodePortPick(c), masqueradePick: .nodePortMasqueradePick(c), local: l > 0 ? .nodePortPickLocal(l) : nil))
        }
    }
}

/// The local-pod match rendered once per family (shared chains and the services chain use it).
struct LocalTrafficDetectorText: Sendable, Hashable {
    /// Matches traffic from this node's pods; nil when local pods cannot be recognised.
    var localPod: String?
    /// Matches traffic not from this node's pods; nil when local pods cannot be recognised.
    var notLocalPod: String?
}
