@testable import Backends
import ProxyTesting
import ServiceModel
import Testing

/// `IPVSProgram` against IPVS mode's kernel in memory (`IPVSModeFakeKernel`): what full and partial syncs send and in
/// which order, what they commit, failures, drains and a family no longer served. The real drivers run in the VM.
@Suite("IPVS mode's program: full, partial, failures, drains")
struct IPVSProgramTests {
    typealias F = IPVSFixtures
    static let web1 = "10.244.0.11:8080", web2 = "10.244.0.12:8080", remote = "10.244.1.5:8080"

    static func web(_ endpoints: [String], local: [String] = []) -> ServicePort {
        F.port("web", clusterIP: "10.96.0.10", nodePort: 30080, endpoints: endpoints, local: local)
    }

    static func states(_ ports: [ServicePort]) -> [DesiredState] { [F.state(ports)] }

    static func make(_ kernel: IPVSModeFakeKernel) -> IPVSProgram {
        IPVSProgram(kernel: kernel, settings: IPVSSettings())
    }

    /// List, render, apply: a full sync as the engine runs it.
    static func fullSync(_ program: IPVSProgram, _ states: [DesiredState]) async throws -> RenderedTransaction<IPVSTransaction, IPVSProgram.Committed> {
        let output = program.full(states, committed: nil, listed: try await program.list(states.map(\.family)))
        try await program.apply(output.transaction)
        return output
    }

    @Test func theDryRunPrintsTheNodeSettingsThenIPVSThenTheSetsThenTheRulesForAnEmptyNode() {
        let program = Self.make(IPVSModeFakeKernel(localAddresses: []))
        let text = program.full(Self.states([Self.web([Self.web1])]), committed: nil, listed: nil).transaction.text
        let headers = text.split(separator: "\n").filter { $0.hasPrefix("# ") && !$0.hasPrefix("# IPv4:") }
        #expect(headers == [
            "# sysctl (node settings, before everything else)", "# ipvsadm (IPv4): 5 operations, one netlink request each",
            "# ipset restore (IPv4)", "# iptables-restore --noflush (IPv4)",
        ])
        #expect(text.contains("net.ipv4.vs.conntrack = 1\n"))
        // Without a listing, the node's addresses are its node IPs: the NodePort is served there.
        #expect(text.contains("ip addr add 10.96.0.10/32 dev proxyd-ipvs0\n-A -t 10.96.0.10:80 -s rr\n-A -t 192.168.1.10:30080 -s rr\n"))
        #expect(text.contains("-a -t 192.168.1.10:30080 -r 10.244.0.11:8080 -m -w 1\n"))
        #expect(text.contains("add PROXYD-CLUSTER-IP 10.96.0.10,tcp:80\n"))
        #expect(text.contains("-A PROXYD-SERVICES"))
    }

    @Test func aFullSyncAppliesSettingsSetsRulesThenIPVSAndCommitsWhatTheKernelHolds() async throws {
        let kernel = IPVSModeFakeKernel(localAddresses: [F.nodeIP, "127.0.0.1"])
        let output = try await Self.fullSync(Self.make(kernel), Self.states([Self.web([Self.web1, Self.remote])]))
        #expect(await kernel.calls == ["tune", "sets IPv4", "rules IPv4", "ipvs"])
        #expect(await kernel.tuned.map(\.name).contains("net.ipv4.vs.conntrack"))
        let committed = try #require(output.committed[.ipv4])
        #expect(await kernel.ipvs == committed.ipvs.table)
        #expect(await kernel.sets.entries(prefix: "PROXYD-CLUSTER-IP") == ["PROXYD-CLUSTER-IP 10.96.0.10,tcp:80"])
        // Loopback is never a NodePort address.
        #expect(committed.ipvs.table.entries.keys.map(\.description).sorted() == ["TCP 10.96.0.10:80", "TCP 192.168.1.10:30080"])
    }

    @Test func aRestartOverItsOwnStateChangesNoVirtualServerAndSwapsEverySet() async throws {
        let kernel = IPVSModeFakeKernel(localAddresses: [F.nodeIP])
        let states = Self.states([Self.web([Self.web1, Self.remote])])
        try await Self.fullSync(Self.make(kernel), states)
        let before = await kernel.ipvs
        let restarted = try await Self.fullSync(Self.make(kernel), states)
        #expect(restarted.transaction.operationCount == 0, "\(restarted.transaction.text)")
        #expect(restarted.transaction.text.contains("swap PROXYD-SWAP PROXYD-CLUSTER-IP"))
        #expect(await kernel.ipvs == before)
    }

    @Test func oneEndpointMoreIsOneOperationPerVirtualServerAndItsHairpinEntry() async throws {
        let kernel = IPVSModeFakeKernel(localAddresses: [F.nodeIP])
        let program = Self.make(kernel)
        let before = Self.states([Self.web([Self.web1])])
        var committed = try await Self.fullSync(program, before).committed
        await kernel.resetRequests()
        let after = Self.states([Self.web([Self.web1, Self.web2])])
        let (transaction, warnings) = try #require(program.partial([DesiredStateDiff(from: before[0], to: after[0])], states: after, committed: &committed))
        #expect(warnings.isEmpty)
        #expect(transaction.families.flatMap(\.operations).map(\.description) == [
            "-a -t 10.96.0.10:80 -r 10.244.0.12:8080 -m -w 1", "-a -t 192.168.1.10:30080 -r 10.244.0.12:8080 -m -w 1",
        ])
        #expect(transaction.families[0].sets.text.split(separator: "\n").filter { !$0.hasPrefix("#") } == [
            "add PROXYD-LOOP-BACK 10.244.0.12,tcp:8080,10.244.0.12 -exist",
        ])
        #expect(transaction.families[0].rules.isEmpty && transaction.tuning.isEmpty)
        try await program.apply(transaction)
        #expect(await kernel.requests == 2)
        #expect(await kernel.calls.suffix(2) == ["sets IPv4", "ipvs"])
        // What the partial sync committed is what the kernel holds, and what a full sync would build.
        #expect(await kernel.ipvs == committed[.ipv4]!.ipvs.table)
        let full = program.full(after, committed: nil, listed: try await program.list([.ipv4]))
        #expect(full.transaction.operationCount == 0)
        #expect(full.committed[.ipv4]!.sets == committed[.ipv4]!.sets)
    }

    @Test func aPartialSyncThatCannotBeTrustedReturnsNilAndLeavesTheCommittedStateAlone() async throws {
        let kernel = IPVSModeFakeKernel(localAddresses: [F.nodeIP])
        let program = Self.make(kernel)
        let before = Self.states([Self.web([Self.web1])])
        var committed = try await Self.fullSync(program, before).committed
        let saved = committed
        var moved = before[0]
        moved.node.nodeIPs = ["192.168.1.11"]
        var diff = DesiredStateDiff(from: before[0], to: moved)
        diff.node = moved.node
        #expect(program.partial([diff], states: [moved], committed: &committed) == nil)
        #expect(committed == saved)
        // Another family than the committed ones: nil as well.
        #expect(program.partial([], states: Self.states([]) + [F.state([], family: .ipv6)], committed: &committed) == nil)
        #expect(committed == saved)
    }

    @Test func aRefusedOperationFailsTheSyncAfterEveryOtherWasTriedAndAFullSyncRepairsIt() async throws {
        let kernel = IPVSModeFakeKernel(localAddresses: [F.nodeIP])
        let program = Self.make(kernel)
        let states = Self.states([Self.web([Self.web1]), F.port("db", clusterIP: "10.96.0.20", endpoints: [Self.remote])])
        let refused = IPVSOperation.addRealServer(IPVSVirtualService("10.96.0.10", .tcp, 80), IPVSRealServer(address: "10.244.0.11", port: 8080))
        await kernel.refuse(refused)
        let output = program.full(states, committed: nil, listed: try await program.list([.ipv4]))
        let error = await #expect(throws: BackendSyncError.self) { try await program.apply(output.transaction) }
        #expect(error?.message.contains("IPVS took 7 of 8 operations (1 refused, 0 skipped): operation 6 (-a -t 10.96.0.10:80 -r 10.244.0.11:8080 -m -w 1)") == true, "\(String(describing: error))")
        // The other Service was programmed regardless.
        #expect(await kernel.ipvs.entries[IPVSVirtualService("10.96.0.20", .tcp, 80)]?.realServers.count == 1)
        await kernel.accept(refused)
        let repaired = try await Self.fullSync(program, states)
        #expect(repaired.transaction.families[0].operations == [refused])
        #expect(await kernel.ipvs == repaired.committed[.ipv4]!.ipvs.table)
    }

    @Test func aNodeSettingThatCannotBeSetFailsTheSyncBeforeAnythingChanges() async throws {
        let kernel = IPVSModeFakeKernel(localAddresses: [F.nodeIP])
        await kernel.refuseSetting("net.ipv4.vs.conntrack")
        let program = Self.make(kernel)
        await #expect(throws: BackendSyncError.self) { try await Self.fullSync(program, Self.states([Self.web([Self.web1])])) }
        #expect(await kernel.calls == ["tune"])
        #expect(await kernel.sets.sets.isEmpty)
        #expect(await kernel.ipvs.entries.isEmpty)
    }

    @Test func aRemovedTCPEndpointDrainsUntilMaintainFindsItIdle() async throws {
        let kernel = IPVSModeFakeKernel(localAddresses: [F.nodeIP])
        let program = Self.make(kernel)
        let before = Self.states([F.port("web", clusterIP: "10.96.0.10", endpoints: [Self.web1, Self.web2])])
        var committed = try await Self.fullSync(program, before).committed
        #expect(program.maintenanceInterval(committed) == nil)
        let service = IPVSVirtualService("10.96.0.10", .tcp, 80)
        let leaving = IPVSRealServer.ID("10.244.0.12", 8080)
        await kernel.setConnections(service, leaving, IPVSConnectionCounts(active: 1))

        let after = Self.states([F.port("web", clusterIP: "10.96.0.10", endpoints: [Self.web1])])
        let (transaction, _) = try #require(program.partial([DesiredStateDiff(from: before[0], to: after[0])], states: after, committed: &committed))
        #expect(transaction.families[0].operations.map(\.description) == ["-e -t 10.96.0.10:80 -r 10.244.0.12:8080 -m -w 0"])
        try await program.apply(transaction)
        #expect(program.maintenanceInterval(committed) == .seconds(15))

        #expect(try await program.maintain(&committed) == nil)
        #expect(await kernel.ipvs.entries[service]?.realServers[leaving]?.weight == 0)

        await kernel.setConnections(service, leaving, IPVSConnectionCounts())
        let (finished, _) = try #require(try await program.maintain(&committed))
        #expect(finished.text.contains("-d -t 10.96.0.10:80 -r 10.244.0.12:8080\n"))
        #expect(await kernel.ipvs.entries[service]?.realServers.keys.map(\.description) == ["10.244.0.11:8080"])
        #expect(program.maintenanceInterval(committed) == nil)
        #expect(await kernel.ipvs == committed[.ipv4]!.ipvs.table)
    }

    @Test func aFamilyNoLongerServedLosesItsRulesSetsVirtualServersAndAddresses() async throws {
        let kernel = IPVSModeFakeKernel(localAddresses: [F.nodeIP, "fd00::10"])
        let program = Self.make(kernel)
        let v6 = F.state([F.port("web6", clusterIP: "fd00:10:96::10", endpoints: ["[fd00:10:244::11]:8080"])], family: .ipv6)
        try await Self.fullSync(program, Self.states([Self.web([Self.web1])]) + [v6])
        #expect(await !kernel.sets.entries(prefix: "PROXYD-6-").isEmpty)
        #expect(await kernel.ipvs.entries[IPVSVirtualService("fd00:10:96::10", .tcp, 80)] != nil)
        let output = try await Self.fullSync(program, Self.states([Self.web([Self.web1])]))
        #expect(output.transaction.text.contains("# ip6tables-restore --noflush (IPv6)"))
        #expect(await kernel.sets.sets.keys.filter { $0.hasPrefix("PROXYD-6-") }.isEmpty)
        let v6Rules = await kernel.iptables.listing(.ipv6)
        #expect(v6Rules["filter"].chains.isEmpty && v6Rules["nat"].chains.isEmpty && v6Rules["nat"].jumps.isEmpty)
        #expect(await !kernel.sets.entries(prefix: "PROXYD-CLUSTER-IP").isEmpty)
        // Its virtual server is deleted (its real servers with it) and its address unbound, after the rules are gone
        // and before its sets are destroyed; IPv4's stay.
        let removal = try #require(output.transaction.families.first { $0.family == .ipv6 })
        #expect(removal.operations.map(\.description) == ["-D -t [fd00:10:96::10]:80", "ip addr del fd00:10:96::10/128 dev proxyd-ipvs0"])
        #expect(await kernel.ipvs.entries.keys.allSatisfy { $0.address?.family == .ipv4 })
        #expect(await kernel.ipvs.boundAddresses == ["10.96.0.10"])
        #expect(await kernel.ipvs == output.committed[.ipv4]!.ipvs.table)
        // Nothing of the family is left: the next full sync has nothing to remove.
        let again = try await Self.fullSync(program, Self.states([Self.web([Self.web1])]))
        #expect(again.transaction.operationCount == 0, "\(again.transaction.text)")
    }

    @Test func aFamilyNoLongerServedKeepsVirtualServersOffTheDummyInterfaceAndOnExcludedCIDRs() async throws {
        let kernel = IPVSModeFakeKernel(localAddresses: [F.nodeIP, "fd00::10"])
        let program = IPVSProgram(kernel: kernel, settings: IPVSSettings(excludeCIDRs: ["fd00:10:96::20/128"]))
        let v6 = F.state([
            F.port("web6", clusterIP: "fd00:10:96::10", endpoints: ["[fd00:10:244::11]:8080"]),
            F.port("kept6", clusterIP: "fd00:10:96::20", endpoints: ["[fd00:10:244::12]:8080"]),
        ], family: .ipv6)
        try await Self.fullSync(program, Self.states([Self.web([Self.web1])]) + [v6])
        // Someone else's IPv6 virtual server, on an address that is not the dummy interface's.
        let foreign = IPVSVirtualServer("fd00:99::1", .tcp, 443, scheduler: .roundRobin)
        try await kernel.program([.addVirtualServer(foreign)])
        let output = try await Self.fullSync(program, Self.states([Self.web([Self.web1])]))
        let removal = try #require(output.transaction.families.first { $0.family == .ipv6 })
        #expect(removal.operations.map(\.description) == [
            "-D -t [fd00:10:96::10]:80", "ip addr del fd00:10:96::10/128 dev proxyd-ipvs0", "ip addr del fd00:10:96::20/128 dev proxyd-ipvs0",
        ])
        let entries = await kernel.ipvs.entries
        let left = entries.keys.filter { $0.address?.family == IPFamily.ipv6 }.map(\.description).sorted()
        #expect(left == ["TCP [fd00:10:96::20]:80", "TCP [fd00:99::1]:443"])
    }

    // MARK: IPVS's timeouts

    static func withTimeouts(_ kernel: IPVSModeFakeKernel) -> IPVSProgram {
        IPVSProgram(kernel: kernel, settings: IPVSSettings(tcpTimeout: .seconds(3600), udpTimeout: .milliseconds(60_500)))
    }

    @Test func aFullSyncSetsTheConfiguredTimeoutsAfterTheNodeSettingsLeavingZeroOnesToTheKernel() async throws {
        let kernel = IPVSModeFakeKernel(localAddresses: [F.nodeIP])
        let output = try await Self.fullSync(Self.withTimeouts(kernel), Self.states([Self.web([Self.web1])]))
        #expect(output.transaction.timeouts == IPVSTimeouts(tcp: 3600, tcpFin: 0, udp: 60))
        #expect(await kernel.calls == ["tune", "timeouts", "sets IPv4", "rules IPv4", "ipvs"])
        // tcpFin was not configured: the kernel's 120 s stays.
        #expect(await kernel.timeouts == IPVSTimeouts(tcp: 3600, tcpFin: 120, udp: 60))
        let text = output.transaction.text
        #expect(text.contains("net.ipv4.ip_forward = 1\n# ipvsadm --set (IPVS connection timeouts in seconds: tcp tcpfin udp; 0 leaves the kernel's)\nipvsadm --set 3600 0 60\n# ipvsadm (IPv4)"), "\(text)")
    }

    @Test func withoutConfiguredTimeoutsNoneAreSentAndPartialSyncsNeverSendThem() async throws {
        let kernel = IPVSModeFakeKernel(localAddresses: [F.nodeIP])
        let output = try await Self.fullSync(Self.make(kernel), Self.states([Self.web([Self.web1])]))
        #expect(output.transaction.timeouts == nil && !output.transaction.text.contains("ipvsadm --set"))
        #expect(await !kernel.calls.contains("timeouts"))

        let program = Self.withTimeouts(kernel)
        let before = Self.states([Self.web([Self.web1])])
        var committed = try await Self.fullSync(program, before).committed
        let after = Self.states([Self.web([Self.web1, Self.web2])])
        let (partial, _) = try #require(program.partial([DesiredStateDiff(from: before[0], to: after[0])], states: after, committed: &committed))
        #expect(partial.timeouts == nil)
    }

    @Test func refusedTimeoutsFailTheSyncBeforeAnythingChanges() async throws {
        let kernel = IPVSModeFakeKernel(localAddresses: [F.nodeIP])
        await kernel.refuseTimeouts()
        let error = await #expect(throws: BackendSyncError.self) {
            try await Self.fullSync(Self.withTimeouts(kernel), Self.states([Self.web([Self.web1])]))
        }
        #expect(error?.code == .refused)
        #expect(error?.message.contains("cannot set IPVS's connection timeouts (ipvs.tcpTimeout, tcpFinTimeout, udpTimeout: ipvsadm --set 3600 0 60)") == true, "\(String(describing: error))")
        #expect(await kernel.calls == ["tune", "timeouts"])
        #expect(await kernel.sets.sets.isEmpty)
        #expect(await kernel.ipvs.entries.isEmpty)
    }

    @Test func verifyFindsAFlushedTable() async throws {
        let kernel = IPVSModeFakeKernel(localAddresses: [F.nodeIP])
        let program = Self.make(kernel)
        let committed = try await Self.fullSync(program, Self.states([Self.web([Self.web1])])).committed
        #expect(await program.verify(committed) == nil)
        await kernel.flush(.ipv4, table: "nat")
        let problem = try #require(await program.verify(committed))
        #expect(problem.message.contains("the table was flushed"), "\(problem.message)")
    }
}
