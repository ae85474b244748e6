/// One port of one Service as this node proxies it in one IP family: its addresses, the endpoints chosen for
/// each kind of traffic, and what happens to traffic when there is nowhere to send it.
///
/// - Important: All lists are sorted, so equal inputs give equal values and renderings are byte-identical.
public struct ServicePort: Sendable, Hashable {
    public var name: ServicePortName
    public var clusterIP: IPAddress
    public var port: UInt16
    public var nodePort: UInt16?
    public var externalIPs: [IPAddress]
    /// Ingress IPs of a LoadBalancer Service, without those with `ipMode: Proxy`.
    public var loadBalancerIPs: [IPAddress]
    /// Allowed sources for traffic to `loadBalancerIPs`; nil means everyone, an empty list no one.
    public var loadBalancerSourceRanges: [CIDR]?
    /// A node IP lies inside `loadBalancerSourceRanges`, so traffic the node sends to its own load balancer
    /// (which comes back sourced from the LB IP) is allowed too.
    public var loadBalancerSourceRangesIncludeNode: Bool
    public var healthCheckNodePort: UInt16?
    public var sessionAffinity: SessionAffinity
    public var internalTrafficPolicy: TrafficPolicy
    public var externalTrafficPolicy: TrafficPolicy
    /// Which topology filter picked `clusterEndpoints`, if any.
    public var topologyMode: TopologyMode?
    /// Endpoints for traffic under policy Cluster: ready ones (topology-filtered), else serving-terminating ones.
    public var clusterEndpoints: [ServiceEndpoint]
    /// Endpoints on this node: ready ones, else serving-terminating ones.
    public var localEndpoints: [ServiceEndpoint]
    /// Some usable endpoint exists anywhere in the cluster (decides reject versus drop).
    public var hasAnyEndpoints: Bool
    /// Addresses of every serving endpoint, whatever its node, zone, readiness or termination: connections already
    /// tracked towards one of them keep flowing (conntrack cleanup spares them, as kube-proxy's does), even when
    /// topology or traffic policy no longer sends new connections there.
    public var servingEndpointAddresses: [IPAddress]

    public init(
        name: ServicePortName, clusterIP: IPAddress, port: UInt16, nodePort: UInt16? = nil,
        externalIPs: [IPAddress] = [], loadBalancerIPs: [IPAddress] = [], loadBalancerSourceRanges: [CIDR]? = nil,
        loadBalancerSourceRangesIncludeNode: Bool = false, healthCheckNodePort: UInt16? = nil,
        sessionAffinity: SessionAffinity = .none, internalTrafficPolicy: TrafficPolicy = .cluster,
        externalTrafficPolicy: TrafficPolicy = .cluster, topologyMode: TopologyMode? = nil,
        clusterEndpoints: [ServiceEndpoint] = [], localEndpoints: [ServiceEndpoint] = [], hasAnyEndpoints: Bool = false,
        servingEndpointAddresses: [IPAddress]? = nil
    ) {
        self.name = name
        self.clusterIP = clusterIP
        self.port = port
        self.nodePort = nodePort
        self.externalIPs = externalIPs
        self.loadBalancerIPs = loadBalancerIPs
        self.loadBalancerSourceRanges = loadBalancerSourceRanges
        self.loadBalancerSourceRangesIncludeNode = loadBalancerSourceRangesIncludeNode
        self.healthCheckNodePort = healthCheckNodePort
        self.sessionAffinity = sessionAffinity
        self.internalTrafficPolicy = internalTrafficPolicy
        self.externalTrafficPolicy = externalTrafficPolicy
        self.topologyMode = topologyMode
        self.clusterEndpoints = clusterEndpoints
        self.localEndpoints = localEndpoints
        self.hasAnyEndpoints = hasAnyEndpoints
        // Without an explicit list, the endpoints the port uses are the serving ones (tests and hand-built ports).
        self.servingEndpointAddresses = servingEndpointAddresses
            ?? Array(Set(clusterEndpoints.map(\.address)).union(localEndpoints.map(\.address))).sorted()
    }

    public var `protocol`: TransportProtocol { name.protocol }

    /// Reachable other than through the ClusterIP: a NodePort, a LoadBalancer IP or an external IP.
    public var isExternallyAccessible: Bool {
        nodePort != nil || !loadBalancerIPs.isEmpty || !externalIPs.isEmpty
    }

    /// Endpoints for traffic to the ClusterIP.
    public var internalEndpoints: [ServiceEndpoint] {
        internalTrafficPolicy == .local ? localEndpoints : clusterEndpoints
    }

    /// Endpoints for traffic from outside the node to a NodePort, LoadBalancer IP or external IP.
    public var externalEndpoints: [ServiceEndpoint] {
        externalTrafficPolicy == .local ? localEndpoints : clusterEndpoints
    }

    /// What happens to traffic to the ClusterIP.
    public var internalTrafficAction: TrafficAction {
        if !hasAnyEndpoints { return .reject }
        return internalEndpoints.isEmpty ? .drop : .forward
    }

    /// What happens to traffic from outside to the external addresses. Traffic from this node's pods and from
    /// the node itself is short-circuited to `clusterEndpoints` when the external policy is Local.
    public var externalTrafficAction: TrafficAction {
        if !hasAnyEndpoints { return .reject }
        return externalEndpoints.isEmpty ? .drop : .forward
    }

    /// eTP=Local: traffic from local pods and from the node to external addresses goes to all cluster endpoints,
    /// because the "only local endpoints" rule exists to preserve client IPs of outside clients.
    public var shortCircuitsLocalExternalTraffic: Bool {
        externalTrafficPolicy == .local && isExternallyAccessible
    }

    /// Every endpoint some traffic of this port may reach (for conntrack cleanup and hairpin detection).
    public var reachableEndpoints: [ServiceEndpoint] {
        Array(Set(clusterEndpoints).union(localEndpoints)).sorted()
    }
}

/// `Cluster` (any endpoint) or `Local` (endpoints on this node only).
public enum TrafficPolicy: String, Sendable, Hashable, CustomStringConvertible {
    case cluster = "Cluster"
    case local = "Local"

    public var description: String { rawValue }
}

/// `ClientIP` affinity pins a client to one endpoint for a while.
public enum SessionAffinity: Sendable, Hashable, CustomStringConvertible {
    case none
    case clientIP(timeoutSeconds: Int)

    /// Kubernetes' default `sessionAffinityConfig.clientIP.timeoutSeconds` (3 hours).
    public static let defaultTimeoutSeconds = 10800

    public var description: String {
        switch self {
        case .none: "None"
        case .clientIP(let timeout): "ClientIP \(timeout)s"
        }
    }
}

/// Where traffic for a Service port goes.
public enum TrafficAction: String, Sendable, Hashable, CustomStringConvertible {
    /// DNAT to one of the endpoints.
    case forward
    /// No endpoints anywhere: ICMP port unreachable / TCP reset, so clients fail fast.
    case reject
    /// Endpoints exist, but none this policy may use here: drop, so clients time out rather than being told
    /// the Service does not exist (and load balancers' health checks steer traffic elsewhere).
    case drop

    public var description: String { rawValue }
}

/// The topology filter applied to cluster endpoints, named as `trafficDistribution` names them.
public enum TopologyMode: String, Sendable, Hashable, CustomStringConvertible {
    case preferSameNode = "PreferSameNode"
    case preferSameZone = "PreferSameZone"

    public var description: String { rawValue }
}
