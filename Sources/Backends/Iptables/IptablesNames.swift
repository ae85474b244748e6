import Crypto
import ServiceModel

/// The iptables chains the iptables backend creates: kube-proxy's layout and names with proxyd's prefix
/// (`KUBE-SERVICES` is `PROXYD-SERVICES`, `KUBE-SVC-XPGD46QRK7WJZT7O` is `PROXYD-SVC-XPGD46QRK7WJZT7O`).
///
/// Per Service port chains carry kube-proxy's hash: the first 16 base32 characters of the SHA-256 of
/// `namespace/name:port` + protocol (lower case), and for endpoint chains + `address:port` too. So the chain
/// kube-proxy would name `KUBE-SVC-X` is `PROXYD-SVC-X` here, and `iptables-save | grep ns/name` finds a
/// Service's rules by their comments in both.
///
/// - Important: Every chain starts with `ProxydNames.iptablesChainPrefix`; that is how `--cleanup` finds them.
public enum IptablesNames {
    static let prefix = ProxydNames.iptablesChainPrefix

    // Top-level chains (kube-proxy's KUBE-…), rewritten in full by every sync.
    public static let services = prefix + "SERVICES"
    public static let externalServices = prefix + "EXTERNAL-SERVICES"
    public static let nodePorts = prefix + "NODEPORTS"
    public static let postrouting = prefix + "POSTROUTING"
    public static let markMasquerade = prefix + "MARK-MASQ"
    public static let forward = prefix + "FORWARD"
    public static let proxyFirewall = prefix + "PROXY-FIREWALL"
    /// kubelet's `KUBE-FIREWALL` copy: drops outside traffic to 127.0.0.0/8 that `route_localnet` would let in.
    public static let localnetFirewall = prefix + "FIREWALL"
    /// Holds one rule; a sync that finds it gone knows someone flushed the table.
    public static let canary = prefix + "PROXY-CANARY"

    // Per Service port chain prefixes (kube-proxy's KUBE-SVC-, KUBE-SVL-, …).
    public static let clusterPolicyPrefix = prefix + "SVC-"
    public static let localPolicyPrefix = prefix + "SVL-"
    public static let externalPrefix = prefix + "EXT-"
    public static let firewallPrefix = prefix + "FW-"
    public static let endpointPrefix = prefix + "SEP-"

    /// Whether a chain is one of the per Service port chains (as opposed to a top-level one).
    static func isServicePortChain(_ name: some StringProtocol) -> Bool {
        [clusterPolicyPrefix, localPolicyPrefix, externalPrefix, firewallPrefix, endpointPrefix].contains { name.hasPrefix($0) }
    }

    /// kube-proxy's 16-character hash of `servicePortName + protocol (+ endpoint)`.
    static func hash(_ text: String) -> String {
        base32Prefix(Array(SHA256.hash(data: Array(text.utf8))), count: 16)
    }

    /// The first `count` characters of the RFC 4648 base32 encoding of `bytes` (as Go's `base32.StdEncoding`).
    static func base32Prefix(_ bytes: [UInt8], count: Int) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(count)
        var buffer: UInt32 = 0
        var bits = 0
        for byte in bytes {
            buffer = (buffer << 8) | UInt32(byte)
            bits += 8
            while bits >= 5 {
                bits -= 5
                out.append(alphabet[Int((buffer >> UInt32(bits)) & 31)])
                if out.count == count { return String(decoding: out, as: UTF8.self) }
            }
            buffer &= (1 << UInt32(bits)) - 1
        }
        if bits > 0, out.count < count { out.append(alphabet[Int((buffer << UInt32(5 - bits)) & 31)]) }
        return String(decoding: out, as: UTF8.self)
    }

    /// The chains of one Service port.
    public struct PortChains: Sendable, Hashable {
        /// `ns/name:port` (`ns/name` for an unnamed port), as comments show it.
        public let portName: String
        /// `tcp`, `udp`, `sctp`.
        public let proto: String
        public let clusterPolicy: String
        public let localPolicy: String
        public let external: String
        public let firewall: String

        public init(_ name: ServicePortName) {
            portName = name.description
            proto = name.protocol.netfilterName
            let hash = IptablesNames.hash(portName + proto)
            clusterPolicy = IptablesNames.clusterPolicyPrefix + hash
            localPolicy = IptablesNames.localPolicyPrefix + hash
            external = IptablesNames.externalPrefix + hash
            firewall = IptablesNames.firewallPrefix + hash
        }

        /// The chain that DNATs to one endpoint (`address:port`, `[v6]:port`).
        public func endpoint(_ endpoint: ServiceEndpoint) -> String {
            IptablesNames.endpointPrefix + IptablesNames.hash(portName + proto + endpoint.description)
        }
    }
}
