import ServiceModel

/// The words that differ between proxyd's `ip` and `ip6` tables.
struct NftablesSyntax: Sendable, Hashable {
    let family: IPFamily

    /// The table family: `ip` or `ip6`.
    var tableFamily: String { family == .ipv4 ? "ip" : "ip6" }
    /// The address payload keyword: `ip saddr` / `ip6 saddr`.
    var payload: String { tableFamily }
    /// The address data type: `ipv4_addr` / `ipv6_addr`.
    var addressType: String { family == .ipv4 ? "ipv4_addr" : "ipv6_addr" }
    /// Loopback, which never serves NodePorts in nftables mode.
    var loopback: String { family == .ipv4 ? "127.0.0.0/8" : "::1" }
    /// The length of a host prefix: 32 or 128.
    var hostPrefixLength: Int { family == .ipv4 ? 32 : 128 }

    /// `A:P` as a DNAT target: `10.0.0.1:80`, `[fd00::1]:80`.
    func target(_ address: IPAddress, _ port: UInt16) -> String {
        family == .ipv4 ? "\(address):\(port)" : "[\(address)]:\(port)"
    }

    /// The match that recognises traffic from this node's pods, or nil when it cannot be recognised.
    func localPodMatch(_ detector: LocalTrafficDetector, negated: Bool) -> String? {
        let op = negated ? "!= " : ""
        switch detector {
        case .none:
            return nil
        case .sourceCIDRs(let cidrs):
            // Pod CIDRs come from the Node object: nested ones would be overlapping set elements.
            let list = CIDR.nonOverlapping(cidrs).map(\.description)
            // One prefix per family is the norm; several make one small anonymous set (a constant count).
            let value = list.count == 1 ? list[0] : "{ " + list.joined(separator: ", ") + " }"
            return "\(payload) saddr \(op)\(value)"
        case .interfaceName(let name):
            // Configuration checks names (`NetworkInterfaceName`); cutting them here only keeps the transaction
            // valid if a name ever got past that: nft refuses empty strings and ones longer than an interface name.
            let safe = NftablesString(name, maxBytes: NetworkInterfaceName.maxBytes)
            return safe.text.isEmpty ? nil : "iifname \(op)\(safe.quoted)"
        case .interfaceNamePrefix(let prefix):
            // The prefix cannot hold a `*` (NftablesString replaces it), so the only wildcard is this one. nft
            // counts the `*` in its 16-byte limit; a 15-byte prefix can only be a whole name, matched as such.
            let safe = NftablesString(prefix, maxBytes: NetworkInterfaceName.maxBytes).text
            if safe.isEmpty { return nil }
            return safe.utf8.count == NetworkInterfaceName.maxBytes ? "iifname \(op)\"\(safe)\"" : "iifname \(op)\"\(safe)*\""
        }
    }
}

/// Names proxyd gives its nftables objects. Other components may rely on the table name and the masquerade
/// mark; everything else is internal (see README.md in this folder).
enum NftablesNames {
    /// proxyd's table in each family it serves (`ip proxyd`, `ip6 proxyd`). proxyd never touches other tables.
    static let table = ProxydNames.nftablesTable
    /// kube-proxy's masquerade bit (`--iptables-masquerade-bit` 14).
    static let masqueradeMark = "0x00004000"

    // Sets and maps: a fixed number, whatever the number of Services.
    static let clusterIPs = "cluster-ips"
    static let nodePortIPs = "nodeport-ips"
    static let serviceIPs = "service-ips"
    static let serviceNodePorts = "service-nodeports"
    static let serviceEndpoints = "service-endpoints"
    static let serviceLocalEndpoints = "service-local-endpoints"
    static let nodePortEndpoints = "nodeport-endpoints"
    static let nodePortLocalEndpoints = "nodeport-local-endpoints"
    static let noEndpointServices = "no-endpoint-services"
    static let noEndpointNodePorts = "no-endpoint-nodeports"
    static let firewallIPs = "firewall-ips"
    static let firewallAllow = "firewall-allow"
    static let hairpin = "hairpin"
    static let affinity = "affinity"

    static let rejectChain = "reject-chain"
}

/// Stable short identifiers for names and affinity keys (FNV-1a), identical across runs and machines.
enum StableHash {
    static func fnv32(_ text: String) -> UInt32 {
        var hash: UInt32 = 0x811c_9dc5
        for byte in text.utf8 {
            hash ^= UInt32(byte)
            hash = hash &* 0x0100_0193
        }
        return hash
    }

    static func hex32(_ text: String) -> String {
        let value = String(fnv32(text), radix: 16, uppercase: true)
        return String(repeating: "0", count: 8 - value.count) + value
    }
}
