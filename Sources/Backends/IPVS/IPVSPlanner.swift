import ServiceModel

/// Plans IPVS for one IP family: turns proxyd's desired state into virtual servers and real servers, and the
/// difference to what IPVS holds into an ordered list of operations (`IPVSPlan`).
///
/// What proxyd programs, as kube-proxy's IPVS mode does:
/// - one virtual server per ClusterIP, external IP, load-balancer IP and NodePort address × port × protocol, with
///   the configured scheduler; ClientIP affinity is persistence with the Service's timeout, per client address;
/// - real servers in masquerade (NAT) mode, weight 1: the internal endpoints behind the ClusterIP, the external
///   ones behind the other addresses (externalTrafficPolicy Local without local endpoints falls back to every
///   cluster endpoint, as kube-proxy does, so that the node's own pods keep reaching the Service; traffic from
///   outside is the iptables layer's to drop);
/// - ClusterIPs, and external and load-balancer IPs that are not the node's own, bound to the dummy interface.
///
/// A Service port without endpoints keeps its virtual servers with no real servers (IPVS answers ICMP port
/// unreachable: a reject). Two Service ports claiming one virtual server: the first by `ServicePortName` wins,
/// with a warning. Removed TCP real servers are drained (weight 0) and deleted by `finishDrains` once idle;
/// UDP and SCTP ones are deleted at once. Virtual servers of another family, firewall-mark services, other
/// protocols, and — unless proxyd wants them — those on `settings.excludeCIDRs` are never touched.
///
/// - Important: Pure. A partial plan costs O(size of the diff): it reads only the committed state, the diff and
///   the current desired state's entries for the Services involved.
public struct IPVSPlanner: Sendable, Hashable {
    public var family: IPFamily
    public var settings: IPVSSettings
    /// The addresses NodePort virtual servers are created on.
    public var nodePortAddresses: [IPAddress]
    /// The node's own addresses: external and load-balancer IPs among them are not bound to the dummy interface.
    public var nodeAddresses: Set<IPAddress>

    /// - Parameters:
    ///   - nodePortAddresses: The model's choice; `allLocal` means every address in `localAddresses`.
    ///   - localAddresses: The node's addresses outside proxyd's dummy interface (the bound Service addresses are
    ///     not the node's). Loopback and link-local addresses, and those of the other family, are ignored.
    public init(family: IPFamily, settings: IPVSSettings, nodePortAddresses: NodePortAddressSet, localAddresses: [IPAddress]) {
        let local = Set(localAddresses.filter { $0.family == family && !$0.isLoopback && !$0.isLinkLocal })
        self.family = family
        self.settings = settings
        switch nodePortAddresses {
        case .allLocal: self.nodePortAddresses = local.sorted()
        case .addresses(let list): self.nodePortAddresses = Set(list.filter { $0.family == family }).sorted()
        }
        nodeAddresses = local
    }

    /// The planner for a desired state: its family and NodePort addresses.
    public init(settings: IPVSSettings, for state: DesiredState, localAddresses: [IPAddress]) {
        self.init(family: state.family, settings: settings, nodePortAddresses: state.node.nodePortAddresses, localAddresses: localAddresses)
    }

    // MARK: what a Service port asks for

    /// The virtual servers, real servers and bound addresses of one Service port.
    public func contribution(of port: ServicePort) -> IPVSContribution {
        guard port.clusterIP.family == family else { return IPVSContribution() }
        var persistence: UInt32?
        if case .clientIP(let timeout) = port.sessionAffinity { persistence = UInt32(clamping: max(1, timeout)) }
        let external = port.externalTrafficPolicy == .local && port.localEndpoints.isEmpty ? port.clusterEndpoints : port.externalEndpoints
        let internalServers = realServers(port.internalEndpoints)
        let externalServers = realServers(external)

        var contribution = IPVSContribution()
        var seen = Set<IPVSVirtualService>()
        func add(_ address: IPAddress, _ number: UInt16, _ servers: [IPVSRealServer]) {
            let server = IPVSVirtualServer(address, port.protocol, number, scheduler: settings.scheduler, persistence: persistence)
            guard seen.insert(server.service).inserted else { return }
            contribution.entries.append(IPVSEntry(server, realServers: servers))
        }
        add(port.clusterIP, port.port, internalServers)
        for address in externalAddresses(of: port) { add(address, port.port, externalServers) }
        if let nodePort = port.nodePort {
            for address in nodePortAddresses { add(address, nodePort, externalServers) }
        }
        contribution.boundAddresses = boundAddresses(of: port)
        return contribution
    }

    /// The port's external and load-balancer IPs of this family, in that order.
    func externalAddresses(of port: ServicePort) -> [IPAddress] {
        (port.externalIPs + port.loadBalancerIPs).filter { $0.family == family }
    }

    /// The addresses a Service port needs bound to the dummy interface: its ClusterIP, and its external and
    /// load-balancer IPs that are not the node's own. Empty for a port of the other family.
    public func boundAddresses(of port: ServicePort) -> [IPAddress] {
        guard port.clusterIP.family == family else { return [] }
        var bound = [port.clusterIP]
        for address in externalAddresses(of: port) where !nodeAddresses.contains(address) && !bound.contains(address) { bound.append(address) }
        return bound
    }

    func realServers(_ endpoints: [ServiceEndpoint]) -> [IPVSRealServer] {
        Set(endpoints.filter { $0.address.family == family }.map { IPVSRealServer(address: $0.address, port: $0.port) }).sorted()
    }

    // MARK: full plans

    /// Plans from what the kernel holds: everything proxyd wants that is missing or different is added or updated,
    /// everything of proxyd's that it no longer wants goes (TCP real servers with connections are drained).
    public func plan(_ state: DesiredState, kernel: IPVSKernelState) -> IPVSPlan {
        var committed = IPVSCommittedState(planner: self)
        var desired: [IPVSVirtualService: IPVSEntry] = [:]
        var touched = Set<IPVSVirtualService>()
        var touchedAddresses = Set<IPAddress>()
        for port in state.servicePorts {
            let contribution = contribution(of: port)
            committed.record(contribution, of: port.name, touching: &touched, &touchedAddresses)
            for entry in contribution.entries where desired[entry.service] == nil { desired[entry.service] = entry }
        }

        var current = IPVSTable()
        var connections: [IPVSVirtualService: [IPVSRealServer.ID: IPVSConnectionCounts]] = [:]
        for var server in kernel.virtualServers where owns(server.service, wanted: desired[server.service] != nil) {
            let listed = kernel.realServers[server.service] ?? []
            server.flags = server.flags.configurable  // without the kernel's own `hashed`, as proxyd would set them
            current.entries[server.service] = IPVSEntry(server, realServers: listed.map(\.realServer))
            connections[server.service] = Dictionary(listed.map { ($0.realServer.id, $0.connections) }, uniquingKeysWith: { $1 })
        }
        current.boundAddresses = Set(kernel.boundAddresses.filter { $0.family == family && !$0.isLinkLocal })

        var builder = IPVSPlanBuilder()
        let keys = Set(current.entries.keys).union(desired.keys).sorted()
        for key in keys {
            builder.reconcile(key, current: current.entries[key], desired: desired[key], connections: connections[key] ?? [:])
        }
        let wanted = Set(committed.bindUsers.keys)
        builder.bind(wanted.subtracting(current.boundAddresses).sorted())
        builder.unbind(current.boundAddresses.subtracting(wanted).sorted())

        committed.table = current
        let operations = builder.operations
        committed.table.applyPlanned(operations)
        for key in keys { committed.updateDraining(key, desired: desired[key]) }
        return IPVSPlan(operations: operations, committed: committed, warnings: conflicts(in: keys, committed), isFull: true)
    }

    /// Whether a listed virtual server is proxyd's to manage.
    func owns(_ service: IPVSVirtualService, wanted: Bool) -> Bool {
        guard service.firewallMark == 0, service.transportProtocol != nil, let address = service.address, address.family == family else {
            return false
        }
        return wanted || !settings.isExcluded(address)
    }

    // MARK: partial plans

    /// Plans one change from the committed state and the model's diff, without reading the kernel.
    ///
    /// - Parameter state: The desired state the diff leads to (for the other Service ports claiming a changed
    ///   virtual server).
    /// - Returns: nil when a partial plan cannot be trusted: the diff changes node settings, or the committed state
    ///   was planned with other settings or node addresses. Plan in full then.
    public func plan(_ diff: DesiredStateDiff, state: DesiredState, committed previous: IPVSCommittedState) -> IPVSPlan? {
        guard previous.planner == self, diff.family == family, diff.node == nil else { return nil }
        var committed = previous
        var fresh: [ServicePortName: IPVSContribution] = [:]
        var touched = Set<IPVSVirtualService>()
        var touchedAddresses = Set<IPAddress>()
        for port in diff.removed + diff.changed.map(\.old) {
            committed.withdraw(contribution(of: port), of: port.name, touching: &touched, &touchedAddresses)
        }
        for port in diff.added + diff.changed.map(\.new) {
            let contribution = contribution(of: port)
            fresh[port.name] = contribution
            committed.record(contribution, of: port.name, touching: &touched, &touchedAddresses)
        }

        var builder = IPVSPlanBuilder()
        var desired: [IPVSVirtualService: IPVSEntry] = [:]
        let keys = touched.sorted()
        for key in keys {
            let entry = committed.claimants[key]?.first.flatMap { winner in
                (fresh[winner] ?? state.services[winner.service]?.first { $0.name == winner }.map(contribution(of:)))?.entry(for: key)
            }
            if entry == nil, let address = key.address, settings.isExcluded(address) {
                // No longer proxyd's, and inside excludeCIDRs: someone else's to keep.
                committed.table.entries[key] = nil
                continue
            }
            desired[key] = entry
            builder.reconcile(key, current: committed.table.entries[key], desired: entry, connections: nil)
        }
        for address in touchedAddresses.sorted() {
            let wanted = committed.bindUsers[address] != nil
            let bound = committed.table.boundAddresses.contains(address)
            if wanted && !bound { builder.bind([address]) }
            if !wanted && bound { builder.unbind([address]) }
        }

        let operations = builder.operations
        committed.table.applyPlanned(operations)
        for key in keys { committed.updateDraining(key, desired: desired[key]) }
        return IPVSPlan(operations: operations, committed: committed, warnings: conflicts(in: keys, committed), isFull: false)
    }

    // MARK: drains

    /// Deletes the drained real servers that no connection uses any more (active + inactive = 0), and those that
    /// are gone from the listing.
    ///
    /// - Parameter listed: The real servers of every virtual server in `committed.draining`, as the driver lists
    ///   them (`IPVSDriver.realServers(of:)`).
    public func finishDrains(_ previous: IPVSCommittedState, listed: [IPVSVirtualService: [IPVSRealServerStatus]]) -> IPVSPlan {
        var committed = previous
        var builder = IPVSPlanBuilder()
        for key in previous.draining.keys.sorted() {
            let counts = Dictionary((listed[key] ?? []).map { ($0.realServer.id, $0.connections) }, uniquingKeysWith: { $1 })
            for id in previous.draining[key]!.sorted() where counts[id]?.isIdle ?? true {
                builder.deleteRealServer(key, id)
            }
        }
        let operations = builder.operations
        committed.table.applyPlanned(operations)
        for case .deleteRealServer(let key, let id) in operations {
            committed.draining[key]?.remove(id)
            if committed.draining[key]?.isEmpty == true { committed.draining[key] = nil }
        }
        return IPVSPlan(operations: operations, committed: committed, warnings: [], isFull: false)
    }

    // MARK: warnings

    func conflicts(in keys: [IPVSVirtualService], _ committed: IPVSCommittedState) -> [String] {
        keys.compactMap { key in
            guard let names = committed.claimants[key], names.count > 1 else { return nil }
            let list = names.map(\.description).joined(separator: ", ")
            return "IPVS virtual server \(key) is claimed by \(list); using \(names[0])'s"
        }
    }
}

extension IPVSTable {
    /// Applies a plan's operations to a table the planner computed them from. A refusal here would be a planner
    /// bug: it stops debug builds (the tests) and is skipped otherwise, the runner's next full plan repairing it.
    mutating func applyPlanned(_ operations: [IPVSOperation]) {
        for operation in operations {
            do {
                try apply(operation)
            } catch {
                assertionFailure("planned operation refused by its own table: \(error)")
            }
        }
    }
}
