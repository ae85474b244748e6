import ServiceModel

/// What proxyd last committed to IPVS for one family, kept in memory so that a change is planned from it and the
/// model's diff alone, without listing the kernel.
///
/// Valid only after every operation of the plan that produced it was applied; after a failure the runner throws it
/// away and plans in full from the kernel's listing.
public struct IPVSCommittedState: Sendable, Hashable {
    /// The planner (family, settings, node addresses) the state was planned with; a partial plan needs the same.
    public internal(set) var planner: IPVSPlanner
    /// proxyd's virtual servers, real servers (draining ones at weight 0) and bound addresses.
    public internal(set) var table: IPVSTable
    /// Removed TCP real servers kept at weight 0 until their connections end (`IPVSPlanner.finishDrains`).
    public internal(set) var draining: [IPVSVirtualService: Set<IPVSRealServer.ID>]
    /// The Service ports that produce each virtual server, sorted; the first wins a conflict.
    var claimants: [IPVSVirtualService: [ServicePortName]]
    /// How many Service ports need each address bound.
    var bindUsers: [IPAddress: Int]

    init(planner: IPVSPlanner) {
        self.planner = planner
        table = IPVSTable()
        draining = [:]
        claimants = [:]
        bindUsers = [:]
    }

    /// Records what a Service port asks for: its claims on virtual servers and its bound addresses, collecting
    /// what it touches.
    mutating func record(
        _ contribution: IPVSContribution, of name: ServicePortName, touching services: inout Set<IPVSVirtualService>,
        _ addresses: inout Set<IPAddress>
    ) {
        for entry in contribution.entries {
            var names = claimants[entry.service] ?? []
            let index = names.firstIndex { name < $0 } ?? names.endIndex
            if index == names.startIndex || names[index - 1] != name { names.insert(name, at: index) }
            claimants[entry.service] = names
            services.insert(entry.service)
        }
        for address in contribution.boundAddresses {
            bindUsers[address, default: 0] += 1
            addresses.insert(address)
        }
    }

    /// Takes back what `record` recorded for the same contribution.
    mutating func withdraw(
        _ contribution: IPVSContribution, of name: ServicePortName, touching services: inout Set<IPVSVirtualService>,
        _ addresses: inout Set<IPAddress>
    ) {
        for entry in contribution.entries {
            var names = claimants[entry.service] ?? []
            names.removeAll { $0 == name }
            claimants[entry.service] = names.isEmpty ? nil : names
            services.insert(entry.service)
        }
        for address in contribution.boundAddresses {
            let count = (bindUsers[address] ?? 0) - 1
            bindUsers[address] = count > 0 ? count : nil
            addresses.insert(address)
        }
    }

    /// Real servers of `service` in the table that no desired entry asks for (TCP ones at weight 0).
    mutating func updateDraining(_ service: IPVSVirtualService, desired: IPVSEntry?) {
        guard let entry = table.entries[service] else {
            draining[service] = nil
            return
        }
        let extra = Set(entry.realServers.keys).subtracting(desired?.realServers.keys.map { $0 } ?? [])
        draining[service] = extra.isEmpty ? nil : extra
    }
}
