import ServiceModel

/// The ipsets of IPVS mode: kube-proxy's IPVS sets under proxyd's prefix, plus the two that carry its drop
/// decisions. They hold every per Service fact the iptables rules of IPVS mode need, so those rules stay fixed.
///
/// Names: `PROXYD-` + the kind for IPv4, `PROXYD-6-` + the kind for IPv6 (kube-proxy: `KUBE-` / `KUBE-6-`). ipset
/// names are at most 31 bytes: kube-proxy's `KUBE-LOAD-BALANCER-SOURCE-CIDR` / `-SOURCE-IP` become `…-SRC-CIDR` /
/// `…-SRC-IP`, and the SCTP NodePort sets drop kube-proxy's legacy `-HASH`, so no name is ever cut.
///
/// - Important: Every name starts with `ProxydNames.ipsetPrefix`, which is how `--cleanup` finds them.
public enum IPVSIPSet: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// Every endpoint a Service port may send to, as `endpoint,proto:port,endpoint`: a packet from an endpoint to
    /// itself (hairpin) is masqueraded in postrouting.
    case loopBack = "LOOP-BACK"
    /// Every ClusterIP with protocol and port: masquerade for traffic from outside the pod network; accepted.
    case clusterIP = "CLUSTER-IP"
    /// External IPs of Service ports with externalTrafficPolicy Cluster: masqueraded.
    case externalIP = "EXTERNAL-IP"
    /// External IPs of Service ports with externalTrafficPolicy Local: the client's address is kept.
    case externalIPLocal = "EXTERNAL-IP-LOCAL"
    /// Every load-balancer IP with protocol and port.
    case loadBalancer = "LOAD-BALANCER"
    /// Load-balancer IPs of Service ports with externalTrafficPolicy Local: not masqueraded.
    case loadBalancerLocal = "LOAD-BALANCER-LOCAL"
    /// Load-balancer IPs of Service ports with `loadBalancerSourceRanges`: only the sources in the next two sets pass.
    case loadBalancerFirewall = "LOAD-BALANCER-FW"
    /// `lb-ip,proto:port,source-range`: the allowed source ranges (a range of length 0 as its two halves).
    case loadBalancerSourceCIDR = "LOAD-BALANCER-SRC-CIDR"
    /// `lb-ip,proto:port,lb-ip`, when a node IP is inside the ranges: the node's own traffic to its load balancer,
    /// which leaves with the load-balancer IP as its source.
    case loadBalancerSourceIP = "LOAD-BALANCER-SRC-IP"
    /// TCP NodePorts: masqueraded.
    case nodePortTCP = "NODE-PORT-TCP"
    /// TCP NodePorts with externalTrafficPolicy Local: the client's address is kept.
    case nodePortLocalTCP = "NODE-PORT-LOCAL-TCP"
    case nodePortUDP = "NODE-PORT-UDP"
    case nodePortLocalUDP = "NODE-PORT-LOCAL-UDP"
    /// SCTP NodePorts as `node-address,sctp:port` on every NodePort address (as kube-proxy: a port bitmap's
    /// matches do not tell SCTP apart).
    case nodePortSCTP = "NODE-PORT-SCTP"
    case nodePortLocalSCTP = "NODE-PORT-LOCAL-SCTP"
    /// Health check node ports of externalTrafficPolicy Local load balancers: accepted in the filter table.
    case healthCheckNodePort = "HEALTH-CHECK-NODE-PORT"
    /// Every address bound to proxyd's dummy interface: new connections to one of them on a port no Service uses
    /// are rejected, so that the node's own services are not reachable through Service addresses.
    case ipvsIPs = "IPVS-IPS"
    /// ClusterIPs whose traffic is dropped: internalTrafficPolicy Local and no endpoint on this node (endpoints
    /// elsewhere exist; with none at all IPVS rejects).
    case clusterIPDrop = "CLUSTER-IP-DROP"
    /// External IPs, load-balancer IPs and NodePorts (each NodePort address) whose traffic from outside the node is
    /// dropped: externalTrafficPolicy Local and no endpoint on this node. This node's pods and the node itself are
    /// still served (by the cluster's endpoints).
    case externalDrop = "EXTERNAL-DROP"

    public var description: String { rawValue }

    /// `PROXYD-CLUSTER-IP`, `PROXYD-6-CLUSTER-IP`.
    public func name(_ family: IPFamily) -> String {
        Self.prefix(family) + rawValue
    }

    /// `PROXYD-` or `PROXYD-6-`.
    static func prefix(_ family: IPFamily) -> String {
        ProxydNames.ipsetPrefix + (family == .ipv6 ? "6-" : "")
    }

    /// The temporary set a full sync fills and swaps in for an existing set, then destroys.
    public static func swapName(_ family: IPFamily) -> String { prefix(family) + "SWAP" }

    /// The family a set of proxyd's belongs to, by its name.
    static func family(ofSetNamed name: String) -> IPFamily? {
        guard ProxydNames.isProxydSet(name) else { return nil }
        return name.hasPrefix(prefix(.ipv6)) ? .ipv6 : .ipv4
    }

    public var type: IPSetType {
        switch self {
        case .loopBack, .loadBalancerSourceIP: .hashIPPortIP
        case .loadBalancerSourceCIDR: .hashIPPortNet
        case .nodePortTCP, .nodePortLocalTCP, .nodePortUDP, .nodePortLocalUDP, .healthCheckNodePort: .bitmapPort
        case .ipvsIPs: .hashIP
        case .clusterIP, .externalIP, .externalIPLocal, .loadBalancer, .loadBalancerLocal, .loadBalancerFirewall,
            .nodePortSCTP, .nodePortLocalSCTP, .clusterIPDrop, .externalDrop:
            .hashIPPort
        }
    }

    /// The set as `ipset create` makes it for `family`.
    public func definition(_ family: IPFamily, maxElements: Int = IPSetDefinition.defaultMaxElements) -> IPSetDefinition {
        IPSetDefinition(name: name(family), type: type, family: family, maxElements: maxElements)
    }

    /// The NodePort sets of a protocol: every NodePort, and those with externalTrafficPolicy Local.
    static func nodePorts(_ proto: TransportProtocol) -> (all: IPVSIPSet, local: IPVSIPSet) {
        switch proto {
        case .tcp: (.nodePortTCP, .nodePortLocalTCP)
        case .udp: (.nodePortUDP, .nodePortLocalUDP)
        case .sctp: (.nodePortSCTP, .nodePortLocalSCTP)
        }
    }
}
