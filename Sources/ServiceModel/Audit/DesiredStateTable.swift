/// The audit view of a desired state: one row per Service port with its addresses, the endpoints chosen for
/// cluster and local traffic, and what happens to each kind of traffic. What `--output=model` prints and
/// `/debug/model` serves.
public enum DesiredStateTable {
    /// Renders `state` as text; deterministic for equal states.
    public static func render(_ state: DesiredState, nodeName: String) -> String {
        let node = state.node
        var lines: [String] = []
        lines.append("# \(state.family) desired state for node \(nodeName)")
        lines.append("#   node IP:            \(node.nodeIPs.isEmpty ? "unknown" : node.nodeIPs.map(\.description).joined(separator: ", "))")
        lines.append("#   NodePort addresses: \(node.nodePortAddresses)")
        lines.append("#   local pod traffic:  \(node.localTrafficDetector)")
        lines.append("#   masquerade:         \(masqueradePolicy(node))")
        lines.append("#   \(state.servicePortCount) Service ports, \(state.endpointCount) endpoints")
        var table = TextTable(headers: ["SERVICE PORT", "ADDRESSES", "CLUSTER ENDPOINTS", "LOCAL ENDPOINTS", "TRAFFIC"])
        for port in state.servicePorts {
            table.append([
                serviceColumn(port), addressColumn(port, node), endpointColumn(port.clusterEndpoints, usedBy: port, policy: .cluster),
                endpointColumn(port.localEndpoints, usedBy: port, policy: .local), trafficColumn(port, node),
            ])
        }
        lines.append(table.render())
        return lines.joined(separator: "\n") + "\n"
    }

    static func masqueradePolicy(_ node: DesiredState.NodeSettings) -> String {
        if node.masqueradeAll { return "all traffic to Services (--masquerade-all)" }
        switch node.localTrafficDetector {
        case .none:
            return "hairpin and eTP=Cluster external traffic (local pods cannot be recognised)"
        default:
            return "non-local sources to ClusterIPs, hairpin, eTP=Cluster external traffic"
        }
    }

    static func serviceColumn(_ port: ServicePort) -> [String] {
        var cell = [port.name.description, port.protocol.rawValue]
        if case .clientIP = port.sessionAffinity { cell.append("affinity \(port.sessionAffinity)") }
        if let mode = port.topologyMode { cell.append("topology \(mode)") }
        return cell
    }

    static func addressColumn(_ port: ServicePort, _ node: DesiredState.NodeSettings) -> [String] {
        var cell = ["cluster  \(hostPort(port.clusterIP, port.port))"]
        if let nodePort = port.nodePort {
            switch node.nodePortAddresses {
            case .allLocal: cell.append("node     *:\(nodePort)")
            case .addresses(let list) where list.isEmpty: cell.append("node     :\(nodePort) (no address)")
            case .addresses(let list): cell += list.map { "node     \(hostPort($0, nodePort))" }
            }
        }
        cell += port.loadBalancerIPs.map { "lb       \(hostPort($0, port.port))" }
        cell += port.externalIPs.map { "external \(hostPort($0, port.port))" }
        if let health = port.healthCheckNodePort { cell.append("health   :\(health)") }
        return cell
    }

    static func endpointColumn(_ endpoints: [ServiceEndpoint], usedBy port: ServicePort, policy: TrafficPolicy) -> [String] {
        let used = port.internalTrafficPolicy == policy || (port.isExternallyAccessible && port.externalTrafficPolicy == policy)
            || (policy == .cluster && port.shortCircuitsLocalExternalTraffic)
        if !used { return ["(unused)"] }
        if endpoints.isEmpty { return ["(none)"] }
        return endpoints.map { endpoint in
            var notes: [String] = []
            if policy == .cluster, endpoint.isLocal { notes.append("local") }
            if endpoint.isTerminating { notes.append("terminating") }
            return notes.isEmpty ? endpoint.description : "\(endpoint) (\(notes.joined(separator: ", ")))"
        }
    }

    static func trafficColumn(_ port: ServicePort, _ node: DesiredState.NodeSettings) -> [String] {
        var cell: [String] = []
        switch port.internalTrafficAction {
        case .reject: cell.append("internal: REJECT, no endpoints")
        case .drop: cell.append("internal: DROP, no local endpoint (iTP=Local)")
        case .forward:
            let target = port.internalTrafficPolicy == .local ? "local endpoints" : "cluster endpoints"
            let masquerade: String
            if node.masqueradeAll {
                masquerade = "masquerade all"
            } else if case .none = node.localTrafficDetector {
                masquerade = "no masquerade (local pods not recognisable)"
            } else {
                masquerade = "masquerade non-local"
            }
            cell.append("internal: \(target), \(masquerade)")
        }
        if port.isExternallyAccessible {
            switch port.externalTrafficAction {
            case .reject: cell.append("external: REJECT, no endpoints")
            case .drop: cell.append("external: DROP, no local endpoint (eTP=Local)")
            case .forward:
                if port.externalTrafficPolicy == .local {
                    cell.append("external: local endpoints, source preserved")
                } else {
                    cell.append("external: cluster endpoints, masquerade all")
                }
            }
            if port.shortCircuitsLocalExternalTraffic {
                cell.append("  local pods/node: cluster endpoints")
            }
        }
        if let ranges = port.loadBalancerSourceRanges, !port.loadBalancerIPs.isEmpty {
            cell.append(ranges.isEmpty ? "lb sources: none allowed" : "lb sources: " + ranges.map(\.description).joined(separator: ","))
        }
        return cell
    }

    static func hostPort(_ ip: IPAddress, _ port: UInt16) -> String {
        switch ip {
        case .v4: "\(ip):\(port)"
        case .v6: "[\(ip)]:\(port)"
        }
    }
}
