import Backends
import Foundation
import ProxyTesting
import ServiceModel

/// IPVS mode as the sync engine runs it: `IPVSProgram` (list, render, apply; partial syncs; maintenance) over the
/// real drivers, programming a lab node inside the VM — the scenario table through real connections, and the IPVS
/// cases: the scheduler and persistence in `ipvsadm -Ln`, a restart over existing state that keeps an established
/// connection, a graceful drain that `maintain` finishes.
enum IPVSProgramChecks {
    static let all = [scenarioTable, restartAndDrain]

    static func program(_ lab: NetworkLab, scheduler: IPVSScheduler = .init(kernelName: "rr")) async throws -> IPVSProgram {
        let kernel = try await IPVSModeDriver(flavour: .nft, networkNamespace: "/run/netns/\(lab.node.namespace)")
        return IPVSProgram(kernel: kernel, settings: IPVSSettings(scheduler: scheduler))
    }

    /// A full sync as the engine runs one: list, render, apply.
    @discardableResult
    static func fullSync(_ program: IPVSProgram, _ states: [DesiredState]) async throws -> RenderedTransaction<IPVSTransaction, IPVSProgram.Committed> {
        let listed = try await program.list(states.map(\.family))
        let output = program.full(states, committed: nil, listed: listed)
        try await program.apply(output.transaction)
        return output
    }

    // MARK: The scenario table

    /// The scenario's proxyd flags as the model's configuration; a flag this check does not know fails it, so that
    /// a new scenario flag is never silently ignored.
    static func configuration(_ flags: [String]) throws -> ProxyConfiguration {
        var configuration = ProxyConfiguration(
            nodeName: ServiceScenario.nodeName, clusterCIDRs: [LabTopology.clusterCIDRIPv4, LabTopology.clusterCIDRIPv6], nodePortAddresses: [])
        var rest = flags[...]
        while let flag = rest.popFirst() {
            switch flag {
            case "--proxy-mode": _ = rest.popFirst()
            case "--masquerade-all": configuration.masqueradeAll = true
            case "--nodeport-addresses":
                let value = rest.popFirst() ?? ""
                configuration.nodePortAddresses = try value.split(separator: ",").map { text in
                    guard let cidr = CIDR(text) else { throw LabError(.unexpectedOutput, "--nodeport-addresses \(value)") }
                    return .cidr(cidr)
                }
            default: throw LabError(.unexpectedOutput, "the IPVS scenario check does not know the flag \(flag)")
            }
        }
        return configuration
    }

    static func state(_ objects: [KubernetesObject], _ family: IPFamily, _ configuration: ProxyConfiguration, localAddresses: [IPAddress]) -> DesiredState {
        let snapshot = ClusterSnapshot(objects)
        let node = NodeContext(snapshot: snapshot, nodeName: ServiceScenario.nodeName, localAddresses: localAddresses)
        return ProxyModel(configuration: configuration).desiredState(for: family, snapshot: snapshot, node: node).state
    }

    /// The table IPVS mode passes: iptables mode's rows (NodePorts on every local address by default, as kube-proxy's
    /// IPVS and iptables modes serve them), and the row iptables mode leaves out: IPVS mode refuses an unused port of a
    /// ClusterIP, as nftables mode does (the address is local on the dummy interface: without the filter the node's
    /// own listeners would answer, kubernetes/kubernetes#72236).
    static func scenarios(_ family: IPFamily) -> [ServiceScenario] {
        let a = ScenarioAddresses(family)
        let web = a.ip(a.clusterIP(10))
        let unusedPort = ServiceScenario(
            "an unused port of a known ClusterIP is refused", family: family, mode: .iptables,
            objects: a.nodes + [a.service("web", clusterIP: 10), a.slice("web", ready: ["web-1", "web-r"])],
            checks: [
                PacketCheck(from: .pod("web-2"), to: web, port: 81, expect: .refused),
                PacketCheck(from: .node, to: web, port: 81, expect: .refused),
            ])
        return ServiceScenarios.scenarios(for: family, mode: .iptables) + [unusedPort]
    }

    static let scenarioTable = VMCheck(
        "the scenario table through IPVSProgram: one lab, one full sync from the kernel's listing per scenario, real connections",
        timeout: .seconds(1200)
    ) { check in
        try await NetworkLab.with(ServiceScenario.labSpec) { lab in
            for pod in lab.pods + lab.remotePods {
                _ = try await lab.serve(in: pod, tcp: ServiceScenario.tcpPorts, udp: ServiceScenario.udpPorts)
            }
            let program = try await program(lab)
            let started = ContinuousClock.now
            var count = 0
            for family in IPFamily.allCases {
                for scenario in scenarios(family) {
                    // Each scenario replaces the last one's Services: the full sync deletes, drains and adds from what
                    // the kernel lists, and serving one family removes the other's rules and sets.
                    let state = state(scenario.objects, family, try configuration(scenario.flags), localAddresses: lab.node.addresses)
                    try await fullSync(program, [state])
                    try await lab.flushConntrack(in: lab.node)
                    var failures: [String] = []
                    for packetCheck in scenario.checks { failures += try await ScenarioRunner.verify(packetCheck, in: lab) }
                    check.expect(failures.isEmpty, "\(family) \(scenario.name):\n" + failures.joined(separator: "\n"))
                    if !failures.isEmpty {
                        let sets = try await lab.exec(in: lab.node, ["ipset", "save"]).stdout
                        check.note("\(scenario.name): ipset save:\n\(sets)\nipvsadm -Ln:\n" + (try await Ipvsadm.list(in: lab)).joined(separator: "\n"))
                    }
                    count += 1
                }
            }
            check.note("\(count) scenarios in \(ContinuousClock.now - started)")
        }
    }

    // MARK: Restart, drain, maintenance

    static let restartAndDrain = VMCheck(
        "IPVSProgram: scheduler and persistence in ipvsadm -Ln; a restart over existing state keeps an established connection; a removed endpoint drains with its open connection and maintain deletes it once idle",
        timeout: .seconds(300)
    ) { check in
        try await NetworkLab.with(LabSpec(pods: ["web-1", "web-2"])) { lab in
            let tool = try LabBinaries.path(of: "proxyd-lab")
            for pod in lab.pods {
                try await lab.serve(in: pod, tcp: [8080])
                try await lab.start(in: pod, [tool, "serve", "--name", pod.name, "--tcp-echo", "9000"], readyLine: "ready")
            }
            func states(web pods: [String]) throws -> [DesiredState] {
                [IPVSTrafficChecks.state([
                    try IPVSTrafficChecks.port("web", lab, .ipv4, clusterIP: 10, pods: pods, targetPort: 9000),
                    try IPVSTrafficChecks.port(
                        "sticky", lab, .ipv4, clusterIP: 11, pods: ["web-1", "web-2"], targetPort: 8080, affinity: .clientIP(timeoutSeconds: 600)),
                ], lab, .ipv4)]
            }
            let before = try states(web: ["web-1"])
            let scheduler = IPVSScheduler(kernelName: "lc")
            try await fullSync(try await program(lab, scheduler: scheduler), before)
            let listing = try await Ipvsadm.list(in: lab)
            check.expect(listing.contains("TCP 10.96.0.10:80 lc"), "the scheduler in ipvsadm -Ln: \(listing)")
            check.expect(listing.contains("TCP 10.96.0.11:80 lc persistent 600"), "persistence in ipvsadm -Ln: \(listing)")
            let sticky = try await lab.connectAttempts(from: lab.client, to: "10.96.0.11", port: 80, count: 8)
            check.expect(Set(sticky.compactMap(\.outcome.replyName)).count == 1 && sticky.allSatisfy { $0.outcome.replyName != nil }, "ClientIP affinity: \(sticky)")

            let stopFile = NSTemporaryDirectory() + "proxyd-hold-" + UUID().uuidString
            let doneFile = NSTemporaryDirectory() + "proxyd-done-" + UUID().uuidString
            _ = FileManager.default.createFile(atPath: doneFile, contents: nil)
            defer {
                try? FileManager.default.removeItem(atPath: stopFile)
                try? FileManager.default.removeItem(atPath: doneFile)
            }
            let held = try await lab.start(in: lab.client, [tool, "connect", "--tcp", "10.96.0.10", "80", "--hold-until", stopFile, "--close-with-reset"])
            let greeting = try await held.waitForLine { $0.contains("\"outcome\":\"reply\"") }
            try check.require(greeting.contains("web-1"), "the held connection: \(greeting)")
            func stillFlows(_ when: String) async throws {
                let answered = held.outputLines.count
                _ = try await held.waitForLine { $0.contains("ping \(answered + 1)") }
                check.note("the held connection still flows \(when)")
            }

            // A new process: a full sync from what the kernel lists changes no virtual or real server, swaps the sets
            // and rewrites the rules under the open connection.
            let restarted = try await program(lab, scheduler: scheduler)
            let output = try await fullSync(restarted, before)
            check.expect(output.transaction.operationCount == 0, "a restart over its own state changed IPVS:\n\(output.transaction.text)")
            check.expect(output.transaction.families.allSatisfy { !$0.sets.isEmpty && !$0.rules.isEmpty }, "sets and rules are rewritten")
            var committed = output.committed
            check.expect(restarted.maintenanceInterval(committed) == nil, "nothing drains yet")
            try await stillFlows("after the restart")

            // The endpoint moves from web-1 to web-2: a partial sync drains web-1.
            let after = try states(web: ["web-2"])
            let (partial, _) = try check.require(
                restarted.partial([DesiredStateDiff(from: before[0], to: after[0])], states: after, committed: &committed), "no partial sync")
            let web1 = try lab.pod("web-1").ipv4, web2 = try lab.pod("web-2").ipv4
            check.expect(partial.families.flatMap(\.operations).map(\.description) == [
                "-a -t 10.96.0.10:80 -r \(web2):9000 -m -w 1", "-e -t 10.96.0.10:80 -r \(web1):9000 -m -w 0",
            ], partial.text)
            try await restarted.apply(partial)
            check.expect(restarted.maintenanceInterval(committed) != nil, "a drain needs maintenance")
            try await stillFlows("while web-1 drains")
            let probe = try await lab.exec(in: lab.client, [tool, "connect", "--tcp", "10.96.0.10", "80", "--hold-until", doneFile])
            check.expect(probe.stdout.contains("web-2"), "a new connection while web-1 drains: \(probe)")
            check.expect(try await restarted.maintain(&committed) == nil, "maintain deleted a real server with an open connection")

            // The client resets; once IPVS forgets the connection (CLOSE state, about 10 s), maintain deletes web-1.
            _ = FileManager.default.createFile(atPath: stopFile, contents: nil)
            _ = try await held.waitForExit()
            let closed = ContinuousClock.now
            var finished: IPVSTransaction?
            while finished == nil && ContinuousClock.now - closed < .seconds(60) {
                finished = try await restarted.maintain(&committed)?.0
                if finished == nil { try await Task.sleep(for: .milliseconds(500)) }
            }
            let done = try check.require(finished, "maintain did not delete web-1 within a minute of the reset")
            check.note("maintain deleted web-1 \(ContinuousClock.now - closed) after the reset")
            check.expect(done.text.contains("-d -t 10.96.0.10:80 -r \(web1):9000"), done.text)
            check.expect(restarted.maintenanceInterval(committed) == nil, "nothing drains any more")
            let end = try await Ipvsadm.list(in: lab)
            check.expect(end.contains { $0.hasPrefix("-> \(web2):9000 Masq 1 ") } && !end.contains { $0.contains("\(web1):9000") }, "\(end)")
        }
    }
}
