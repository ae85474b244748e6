import Backends
import Foundation
import ProxyTesting
import ServiceModel

/// IPVS mode as the sync engine runs it: `IPVSProgram` (list, render, apply; partial syncs; maintenance) over the
/// real drivers, programming a lab node inside the VM — the scenario table through real connections, and the IPVS
/// cases: the scheduler and persistence in `ipvsadm -Ln`, a restart over existing state that keeps an established
/// connection, a graceful drain that `maintain` finishes; the configured timeouts, and a family no longer served.
enum IPVSProgramChecks {
    static let all = [exampleOnce, daemon, scenarioTable, restartAndDrain, timeoutsAndFamilies]

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

    // MARK: proxyd --proxy-mode=ipvs --once

    static let examples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("examples").path

    static let exampleOnce = VMCheck(
        "proxyd --proxy-mode=ipvs --objects examples/ --once programs virtual servers that carry real connections",
        timeout: .seconds(300)
    ) { check in
        // As `KernelTests/ExampleClusterTests` runs it for the other modes: local pod 1 is 10.244.0.11 and remote pod
        // 2 is 10.244.1.12, the example's frontend endpoints.
        try await NetworkLab.with(LabSpec(pods: ["frontend-a"], remotePods: ["other", "frontend-b"])) { lab in
            let frontendA = try lab.pod("frontend-a")
            _ = try await lab.exec(in: lab.node, ["ip", "addr", "add", "192.168.49.2/32", "dev", "eth0"]).requireSuccess()
            _ = try await lab.exec(in: frontendA, ["ip", "addr", "add", "10.244.0.41/32", "dev", "eth0"]).requireSuccess()
            _ = try await lab.exec(in: lab.node, ["ip", "route", "add", "10.244.0.41/32", "dev", LabTopology.podVethName(index: 1)]).requireSuccess()
            _ = try await lab.exec(in: lab.client, ["ip", "addr", "add", "198.51.100.50/32", "dev", "eth0"]).requireSuccess()
            for pod in [frontendA, try lab.pod("frontend-b")] { _ = try await lab.serve(in: pod, tcp: [8080, 8443]) }
            let result = try await lab.exec(in: lab.node, [
                try LabBinaries.path(of: "proxyd"), "--proxy-mode=ipvs", "--objects", examples, "--hostname-override", "node-a",
                "--cluster-cidr", "10.244.0.0/16,fd00:10:244::/56", "--once",
            ])
            try check.require(result.succeeded && result.stderr.contains("synced"), "proxyd --once: \(result)")
            let listing = try await Ipvsadm.list(in: lab)
            check.note("ipvsadm -Ln after proxyd --proxy-mode=ipvs --once:\n" + listing.joined(separator: "\n"))
            check.expect(listing.contains("TCP 10.96.10.20:80 rr"), "\(listing)")

            let clusterIP = try await lab.connectAttempts(from: lab.client, to: "10.96.10.20", port: 80, count: 16)
            check.expect(Set(clusterIP.compactMap(\.outcome.replyName)) == ["frontend-a", "frontend-b"], "ClusterIP: \(clusterIP)")
            let nodePort = try await lab.connectAttempts(from: lab.client, to: "192.168.49.2", port: 30080, count: 16)
            check.expect(Set(nodePort.compactMap(\.outcome.replyName)) == ["frontend-a", "frontend-b"], "NodePort: \(nodePort)")
            // checkout: externalTrafficPolicy Local, so the local (terminating but serving) endpoint, client IP kept.
            let loadBalancer = try await lab.connect(from: lab.client, to: "203.0.113.10", port: 443, source: "198.51.100.50")
            check.expect(loadBalancer.replyName == "frontend-a" && loadBalancer.peer?.ip == "198.51.100.50", "LoadBalancer: \(loadBalancer)")
            // The same load balancer from outside its source ranges is dropped.
            let outside = try await lab.connect(from: lab.client, to: "203.0.113.10", port: 443, timeout: .milliseconds(400))
            check.expect(outside == .timeout, "LoadBalancer from outside its source ranges: \(outside)")
        }
    }

    // MARK: The daemon

    /// Polls `condition` (the kernel has no event for what IPVS lists) until it holds or `deadline` passes.
    static func eventually(_ what: String, within deadline: Duration = .seconds(60), _ condition: () async throws -> Bool) async throws {
        let end = ContinuousClock.now + deadline
        while try await !condition() {
            guard ContinuousClock.now < end else { throw LabError(.readyTimeout, "\(what) did not happen within \(deadline)") }
            try await Task.sleep(for: .milliseconds(250))
        }
    }

    static let daemon = VMCheck(
        "proxyd --proxy-mode=ipvs as a daemon: a removed endpoint is a partial sync draining it, and maintenance deletes it",
        timeout: .seconds(300)
    ) { check in
        let a = ScenarioAddresses(.ipv4)
        func objects(_ endpoints: [String]) -> [KubernetesObject] {
            a.nodes + [a.service("web", clusterIP: 10), a.slice("web", ready: endpoints)]
        }
        let directory = NSTemporaryDirectory() + "proxyd-objects-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try ScenarioRunner.writeObjects(objects(["web-1", "web-2"]), to: directory)
        try await NetworkLab.with(ServiceScenario.labSpec) { lab in
            for pod in lab.pods { _ = try await lab.serve(in: pod, tcp: [8080]) }
            let proxyd = try await lab.start(in: lab.node, [
                try LabBinaries.path(of: "proxyd"), "--proxy-mode=ipvs", "--objects", directory, "--hostname-override", ServiceScenario.nodeName,
                "--cluster-cidr", "\(LabTopology.clusterCIDRIPv4),\(LabTopology.clusterCIDRIPv6)",
                "--metrics-bind-address", "127.0.0.1:0", "--healthz-bind-address", "127.0.0.1:0",
            ])
            let web1 = try lab.pod("web-1").ipv4, web2 = try lab.pod("web-2").ipv4
            try await eventually("the first sync") { try await Ipvsadm.list(in: lab).contains("-> \(web2):8080 Masq 1 0 0") }
            try ScenarioRunner.writeObjects(objects(["web-2"]), to: directory)
            // A partial sync: web-1 at weight 0 (the runner cannot know it is idle without listing), then deleted by
            // the maintenance that follows (15 s later).
            try await eventually("web-1's drain") { try await Ipvsadm.list(in: lab).contains("-> \(web1):8080 Masq 0 0 0") }
            let drained = ContinuousClock.now
            try await eventually("web-1's deletion") { try await !Ipvsadm.list(in: lab).contains { $0.contains("\(web1):8080") } }
            check.note("maintenance deleted the drained real server \(ContinuousClock.now - drained) after the drain")
            let log = proxyd.standardError
            check.expect(log.contains("sync=partial"), "no partial sync in proxyd's log:\n\(log)")
            check.expect(log.contains("maintained"), "no maintenance in proxyd's log:\n\(log)")
            let answered = try await lab.connectAttempts(from: lab.pod("web-2"), to: a.ip(a.clusterIP(10)), port: 80, count: 4)
            check.expect(answered.allSatisfy { $0.outcome.replyName == "web-2" }, "\(answered)")
            let status = await lab.stop(proxyd, gracePeriod: .seconds(20))
            check.expect(status == .exited(0), "proxyd's exit: \(String(describing: status))\n\(proxyd.standardError)")
        }
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

    // MARK: Timeouts, a family no longer served

    static let timeoutsAndFamilies = VMCheck(
        "IPVSProgram: a full sync sets the configured timeouts (ipvsadm -L --timeout), the unconfigured one kept; a family no longer served loses its virtual servers and addresses",
        timeout: .seconds(120)
    ) { check in
        try await NetworkLab.with(LabSpec(pods: ["web-1"])) { lab in
            let kernel = try await IPVSModeDriver(flavour: .nft, networkNamespace: "/run/netns/\(lab.node.namespace)")
            let program = IPVSProgram(kernel: kernel, settings: IPVSSettings(tcpTimeout: .seconds(3600), udpTimeout: .seconds(45)))
            func state(_ family: IPFamily) throws -> DesiredState {
                IPVSTrafficChecks.state(
                    [try IPVSTrafficChecks.port("web", lab, family, clusterIP: 10, pods: ["web-1"], targetPort: 8080)], lab, family)
            }
            func timeouts() async throws -> String {
                try await lab.exec(in: lab.node, ["ipvsadm", "-L", "--timeout"]).requireSuccess().stdout
                    .trimmingCharacters(in: .whitespacesAndNewlines)
            }
            // The namespace's own: "Timeout (tcp tcpfin udp): 900 120 300".
            let before = try await timeouts()
            let tcpFin = try check.require(before.split(separator: " ").dropLast().last, "ipvsadm -L --timeout: \(before)")
            try await fullSync(program, [try state(.ipv4), try state(.ipv6)])
            let after = try await timeouts()
            check.note("ipvsadm -L --timeout before: \(before); after a full sync with tcpTimeout 3600s, udpTimeout 45s: \(after)")
            check.expect(after == "Timeout (tcp tcpfin udp): 3600 \(tcpFin) 45", after)
            let dualStack = try await Ipvsadm.list(in: lab)
            check.expect(dualStack.contains { $0.hasPrefix("TCP [fd00:10:96::10]:80 ") }, "\(dualStack)")

            try await fullSync(program, [try state(.ipv4)])
            let listing = try await Ipvsadm.list(in: lab)
            check.note("ipvsadm -Ln once IPv6 is no longer served:\n" + listing.joined(separator: "\n"))
            check.expect(listing.contains { $0.hasPrefix("TCP 10.96.0.10:80 ") } && !listing.contains { $0.contains("[") }, "\(listing)")
            let addresses = try await lab.exec(in: lab.node, ["ip", "-o", "addr", "show", "dev", ProxydNames.ipvsInterface]).requireSuccess().stdout
            check.expect(addresses.contains("10.96.0.10/32") && !addresses.contains("fd00:10:96::10"), addresses)
        }
    }
}
