import ServiceModel

/// The conntrack entries a sync made stale, as filters: for every UDP and SCTP Service destination whose
/// endpoints or address mapping changed, "original destination is this address and port, and the reply does not
/// come from an endpoint that still serves".
///
/// Why: a UDP (or SCTP) flow keeps its conntrack entry, and with it the DNAT decision, for as long as packets keep
/// coming — a client that sends every few seconds would talk to a deleted pod forever. TCP needs no help: the
/// endpoint's reset ends the connection. A pure value; `ConntrackReconciler` carries it out.
///
/// - Important: At most one filter per destination (family, protocol, address, port); filters are sorted. When
///   two sources name one destination, the union of their kept reply sources wins, so a merge never deletes a
///   flow that either side meant to keep.
public struct ConntrackCleanupPlan: Sendable, Hashable, CustomStringConvertible {
    public private(set) var filters: [ConntrackFilter]

    public init(filters: [ConntrackFilter] = []) {
        var byTarget: [ConntrackFilter.Destination: ConntrackFilter] = [:]
        for filter in filters {
            if var existing = byTarget[filter.target] {
                existing.keptReplySources = Array(Set(existing.keptReplySources).union(filter.keptReplySources)).sorted()
                byTarget[filter.target] = existing
            } else {
                byTarget[filter.target] = filter
            }
        }
        self.filters = byTarget.values.sorted()
    }

    public var isEmpty: Bool { filters.isEmpty }

    /// The plan for a partial sync: what `changes` did to UDP and SCTP Service ports.
    ///
    /// - Removed port: everything sent to its destinations is stale.
    /// - Added port: entries to its destinations not answered by one of its serving endpoints (e.g. ones tracked
    ///   while the address went nowhere) are stale.
    /// - Changed port: destinations it lost are cleared entirely; its current destinations keep only flows answered
    ///   by a serving endpoint. Skipped when the destinations are the same and every endpoint that served before
    ///   still serves, because then nothing tracked can be stale.
    ///
    /// - Parameter nodes: each family's node settings, for the addresses NodePorts are served on.
    public init(changes: [DesiredStateDiff], nodes: [IPFamily: DesiredState.NodeSettings]) {
        var filters: [ConntrackFilter] = []
        for diff in changes {
            // A diff that changes node settings carries the new ones; partial syncs never do, full ones use init(full:).
            guard let node = diff.node ?? nodes[diff.family] else { continue }
            for port in diff.removed where Self.isCleaned(port) {
                filters += Self.filters(for: port, node: node, family: diff.family, keep: [])
            }
            for port in diff.added where Self.isCleaned(port) {
                filters += Self.filters(for: port, node: node, family: diff.family, keep: port.servingEndpointAddresses)
            }
            for change in diff.changed {
                let (old, new) = (change.old, change.new)
                let newFilters = Self.isCleaned(new)
                    ? Self.filters(for: new, node: node, family: diff.family, keep: new.servingEndpointAddresses) : []
                let oldFilters = Self.isCleaned(old) ? Self.filters(for: old, node: node, family: diff.family, keep: []) : []
                let newTargets = Set(newFilters.map(\.target))
                let lost = oldFilters.filter { !newTargets.contains($0.target) }
                let stillServing = Set(old.servingEndpointAddresses).isSubset(of: new.servingEndpointAddresses)
                if lost.isEmpty && Set(oldFilters.map(\.target)) == newTargets && !old.servingEndpointAddresses.isEmpty
                    && stillServing
                {
                    continue
                }
                filters += lost + newFilters
            }
        }
        self.init(filters: filters)
    }

    /// The plan for a full sync: every UDP and SCTP destination of `states` keeps only flows answered by a serving
    /// endpoint, and every destination `previous` had that `states` lacks is cleared entirely.
    ///
    /// Running it is what kube-proxy does on every sync; it also catches what happened while proxyd was not
    /// running (pass no `previous` on the first sync).
    public init(full states: [DesiredState], previous: [DesiredState] = []) {
        var current: [ConntrackFilter] = []
        for state in states {
            for ports in state.services.values {
                for port in ports where Self.isCleaned(port) {
                    current += Self.filters(for: port, node: state.node, family: state.family, keep: port.servingEndpointAddresses)
                }
            }
        }
        var gone: [ConntrackFilter] = []
        for state in previous {
            for ports in state.services.values {
                for port in ports where Self.isCleaned(port) {
                    gone += Self.filters(for: port, node: state.node, family: state.family, keep: [])
                }
            }
        }
        self = ConntrackCleanupPlan(filters: current).includingStaleDestinations(of: ConntrackCleanupPlan(filters: gone))
    }

    /// This plan plus, for every destination only `older` names, a filter that clears it entirely.
    ///
    /// For a full plan, which names every destination that exists now, a destination it lacks is gone; use this
    /// to carry the plans of failed syncs into the next full one.
    public func includingStaleDestinations(of older: ConntrackCleanupPlan) -> ConntrackCleanupPlan {
        let known = Set(filters.map(\.target))
        var merged = filters
        for filter in older.filters where !known.contains(filter.target) {
            var cleared = filter
            cleared.keptReplySources = []
            merged.append(cleared)
        }
        return ConntrackCleanupPlan(filters: merged)
    }

    /// Both plans' filters (kept sources united where they meet).
    public func merging(_ other: ConntrackCleanupPlan) -> ConntrackCleanupPlan {
        ConntrackCleanupPlan(filters: filters + other.filters)
    }

    /// Decides for a tracked flow whether the plan deletes it: the filter for the flow's exact destination
    /// decides if there is one, else the filter for its port on any address (a NodePort served on every local
    /// address), else the flow is not the plan's business.
    public func staleFlowMatcher() -> @Sendable (ConntrackFlow) -> Bool {
        let index = Dictionary(uniqueKeysWithValues: filters.map { ($0.target, $0) })
        return { flow in
            guard let proto = flow.transportProtocol else { return false }
            var key = ConntrackFilter.Destination(
                family: flow.family, protocol: proto, address: flow.original.destination, port: flow.original.destinationPort)
            if let exact = index[key] { return exact.matches(flow) }
            key.address = nil
            return index[key]?.matches(flow) ?? false
        }
    }

    public var description: String {
        filters.isEmpty ? "nothing to clean" : filters.map(\.description).joined(separator: "\n")
    }

    /// UDP and SCTP only: a TCP endpoint that goes away resets its connections.
    static func isCleaned(_ port: ServicePort) -> Bool {
        port.protocol == .udp || port.protocol == .sctp
    }

    /// One filter per address a client reaches the port on: ClusterIP, external IPs and load-balancer IPs at the
    /// Service port, and the NodePort on each node-port address (any address when served on every local one).
    static func filters(
        for port: ServicePort, node: DesiredState.NodeSettings, family: IPFamily, keep: [IPAddress]
    ) -> [ConntrackFilter] {
        var result: [ConntrackFilter] = []
        for address in [port.clusterIP] + port.externalIPs + port.loadBalancerIPs where address.family == family {
            result.append(ConntrackFilter(
                family: family, protocol: port.protocol, destination: address, destinationPort: port.port,
                keptReplySources: keep))
        }
        if let nodePort = port.nodePort {
            switch node.nodePortAddresses {
            case .allLocal:
                result.append(ConntrackFilter(
                    family: family, protocol: port.protocol, destination: nil, destinationPort: nodePort,
                    keptReplySources: keep))
            case .addresses(let addresses):
                for address in addresses where address.family == family {
                    result.append(ConntrackFilter(
                        family: family, protocol: port.protocol, destination: address, destinationPort: nodePort,
                        keptReplySources: keep))
                }
            }
        }
        return result
    }
}
