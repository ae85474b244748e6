@testable import Backends
import ProxyTesting
import ServiceModel

/// IPVS mode's kernel in memory, for `IPVSProgram`'s tests: IPVS as `IPVSTable` gives operations the kernel's meaning
/// (with connection counts a test sets), ipsets as `IPSetFakeKernel` and the tables as `FakeIptablesKernel`
/// — each refusing what the real one would. The real drivers run in the VM (`VMChecks/IPVSProgramChecks`).
actor IPVSModeFakeKernel: IPVSModeKernel {
    var ipvs = IPVSTable()
    var connections: [IPVSVirtualService: [IPVSRealServer.ID: IPVSConnectionCounts]] = [:]
    var sets = IPSetFakeKernel()
    let iptables = FakeIptablesKernel()
    var local: [IPAddress]
    /// Node settings applied, in order; a refusal (a warning) for those named here.
    var tuned: [TuningSetting] = []
    var refusedSettings: Set<String> = []
    /// IPVS's timeouts as the kernel keeps them (its defaults: 900, 120, 300), and whether it refuses new ones.
    var timeouts = IPVSTimeouts(tcp: 900, tcpFin: 120, udp: 300)
    var refusesTimeouts = false
    /// IPVS operations the kernel refuses.
    var refusedOperations: Set<IPVSOperation> = []
    /// Netlink requests: one per IPVS operation, one per dump.
    var requests = 0
    /// Every call, in order (`sets`, `rules`, `ipvs`), for the apply order.
    var calls: [String] = []

    init(localAddresses: [IPAddress]) {
        local = localAddresses
    }

    func tune(_ settings: [TuningSetting]) -> NodeTuningReport {
        calls.append("tune")
        var report = NodeTuningReport()
        for setting in settings {
            if refusedSettings.contains(setting.name) {
                report.warnings.append("cannot set \(setting.name) to \(setting.value): not permitted")
            } else {
                tuned.append(setting)
            }
        }
        return report
    }

    /// As the kernel's `ip_vs_set_timeout`: 0 leaves a value unchanged.
    func setTimeouts(_ timeouts: IPVSTimeouts) throws(IPVSError) {
        calls.append("timeouts")
        requests += 1
        if refusesTimeouts { throw IPVSError(.refused, "\(timeouts): Invalid argument", kernelErrno: 22) }
        if timeouts.tcp != 0 { self.timeouts.tcp = timeouts.tcp }
        if timeouts.tcpFin != 0 { self.timeouts.tcpFin = timeouts.tcpFin }
        if timeouts.udp != 0 { self.timeouts.udp = timeouts.udp }
    }

    func restoreSets(_ input: IPSetRestoreInput) throws(IPSetError) {
        calls.append("sets \(input.family)")
        do {
            try sets.restore(input)
        } catch {
            throw IPSetError(code: .refused, family: input.family, message: error.description, line: error.line)
        }
    }

    func listSets() -> IPSetListing { sets.listing }

    func restoreRules(_ input: IptablesRestoreInput) async throws(IptablesError) {
        calls.append("rules \(input.family)")
        try await iptables.restore(input)
    }

    func listRules(_ family: IPFamily) async -> IptablesTableListing {
        await iptables.listing(family)
    }

    func applyIPVS(_ operations: [IPVSOperation]) throws(IPVSApplyFailure) {
        calls.append("ipvs")
        var refusals: [IPVSApplyFailure.Refusal] = []
        var applied = 0
        for (index, operation) in operations.enumerated() {
            requests += 1
            do throws(IPVSError) {
                if refusedOperations.contains(operation) { throw IPVSError(.refused, "\(operation): Invalid argument", kernelErrno: 22) }
                try ipvs.apply(operation)
                applied += 1
            } catch {
                refusals.append(.init(index: index, operation: operation, error: error))
            }
        }
        if !refusals.isEmpty { throw IPVSApplyFailure(total: operations.count, applied: applied, skipped: 0, refusals: refusals) }
    }

    func listIPVS(_ family: IPFamily) -> IPVSKernelState {
        requests += 1
        var state = IPVSKernelState(virtualServers: ipvs.entries.values.map(\.virtualServer).sorted { $0.service < $1.service })
        for entry in ipvs.entries.values where entry.service.address?.family == family {
            requests += 1
            state.realServers[entry.service] = statuses(entry.service)
        }
        state.boundAddresses = ipvs.boundAddresses.sorted()
        return state
    }

    func realServers(of services: [IPVSVirtualService]) -> [IPVSVirtualService: [IPVSRealServerStatus]] {
        var listed: [IPVSVirtualService: [IPVSRealServerStatus]] = [:]
        for service in services where ipvs.entries[service] != nil {
            requests += 1
            listed[service] = statuses(service)
        }
        return listed
    }

    private func statuses(_ service: IPVSVirtualService) -> [IPVSRealServerStatus] {
        (ipvs.entries[service]?.realServers.values.sorted() ?? []).map {
            IPVSRealServerStatus(realServer: $0, connections: connections[service]?[$0.id] ?? IPVSConnectionCounts())
        }
    }

    func localAddresses() -> [IPAddress] { local }

    // MARK: for the tests

    func setConnections(_ service: IPVSVirtualService, _ id: IPVSRealServer.ID, _ counts: IPVSConnectionCounts) {
        connections[service, default: [:]][id] = counts
    }

    func refuse(_ operation: IPVSOperation) { refusedOperations.insert(operation) }
    func accept(_ operation: IPVSOperation) { refusedOperations.remove(operation) }
    func refuseSetting(_ name: String) { refusedSettings.insert(name) }
    func refuseTimeouts() { refusesTimeouts = true }
    /// Someone else's change (ipvsadm, keepalived): applied as the kernel would, outside any sync.
    func program(_ operations: [IPVSOperation]) throws(IPVSError) {
        for operation in operations { try ipvs.apply(operation) }
    }
    func flush(_ family: IPFamily, table: String) async { await iptables.flush(table, family: family) }
    func resetCalls() { calls = [] }
    func resetRequests() { requests = 0 }
}
