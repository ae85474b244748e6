import Foundation
import ServiceModel

/// Runs a `ServiceScenario` in a fresh lab: starts the pods' servers, lets a backend program the node, makes
/// every check's connections and compares what the client saw and what conntrack recorded with the
/// expectation.
public enum ScenarioRunner {
    /// Programs the lab's node for a scenario (backend-specific: `proxyd --once`, a VM, …).
    public typealias Apply = @Sendable (NetworkLab, ServiceScenario) async throws -> Void

    /// Runs the scenario and returns the failures, one line each (empty when every check passed).
    public static func run(_ scenario: ServiceScenario, apply: Apply) async throws -> [String] {
        try await NetworkLab.with(ServiceScenario.labSpec) { lab in
            for pod in lab.pods + lab.remotePods {
                _ = try await lab.serve(in: pod, tcp: ServiceScenario.tcpPorts, udp: ServiceScenario.udpPorts)
            }
            try await apply(lab, scenario)
            var failures: [String] = []
            for check in scenario.checks {
                failures += try await verify(check, in: lab)
            }
            return failures
        }
    }

    /// Writes the scenario's objects as one JSON `List` for `proxyd --objects`.
    public static func writeObjects(_ objects: [KubernetesObject], to directory: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var items: [String] = []
        for object in objects {
            let data: Data
            switch object {
            case .service(let value): data = try encoder.encode(value)
            case .endpointSlice(let value): data = try encoder.encode(value)
            case .node(let value): data = try encoder.encode(value)
            }
            items.append(String(decoding: data, as: UTF8.self))
        }
        let list = #"{"apiVersion":"v1","kind":"List","items":["# + items.joined(separator: ",") + "]}"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try list.write(toFile: directory + "/objects.json", atomically: true, encoding: .utf8)
    }

    static func host(_ host: PacketCheck.Host, in lab: NetworkLab) throws -> LabHost {
        switch host {
        case .client: lab.client
        case .node: lab.node
        case .pod(let name): try lab.pod(name)
        }
    }

    /// Makes one check's connections in `lab` and compares what the client saw and what conntrack recorded with the
    /// expectation; the failures, one line each (empty when it passed). For checks run in a lab programmed by other
    /// means than `run` (the IPVS mode checks in the VM).
    public static func verify(_ check: PacketCheck, in lab: NetworkLab) async throws -> [String] {
        let from = try host(check.from, in: lab)
        let timeout: Duration = check.expect == .dropped ? .milliseconds(400) : NetworkLab.defaultConnectTimeout
        let attempts = try await lab.connectAttempts(
            from: from, to: check.to, port: check.port, proto: check.proto, count: check.count, timeout: timeout)
        var failures: [String] = []
        func fail(_ text: String) { failures.append("\(check): \(text)") }
        switch check.expect {
        case .refused:
            for attempt in attempts where attempt.outcome != .refused { fail("got \(attempt)") }
        case .dropped:
            for attempt in attempts where attempt.outcome != .timeout { fail("got \(attempt)") }
        case .reaches(let pods, let source), .sticksToOneOf(let pods, let source):
            var answered: [String] = []
            for attempt in attempts {
                guard let name = attempt.outcome.replyName, let peer = attempt.outcome.peer, let local = attempt.local else {
                    fail("got \(attempt)")
                    continue
                }
                answered.append(name)
                if !pods.contains(name) { fail("answered by \(name)") }
                // Masquerade rewrites the address, the port (fully-random) or both; node-originated traffic is
                // often masqueraded to the very address it came from, so the port is what shows.
                var masqueraded = peer != local
                if !masqueraded, source == .masqueraded {
                    masqueraded = try await conntrackSaysSourceNATed(local, check.proto, in: lab)
                }
                if masqueraded != (source == .masqueraded) { fail("the server saw \(peer) for a client at \(local)") }
            }
            if case .reaches = check.expect, failures.isEmpty, Set(answered) != pods {
                fail("only \(Set(answered).sorted()) answered in \(attempts.count) attempts")
            }
            if case .sticksToOneOf = check.expect, Set(answered).count > 1 {
                fail("answered by \(answered) instead of one endpoint")
            }
            if failures.isEmpty, let first = attempts.first { failures += try await verifyConntrack(check, first, source, in: lab) }
        }
        return failures
    }

    /// Whether the node's conntrack has the connection from `local` marked as source-NATed (its status bit, for
    /// the rare masquerade that keeps both address and port).
    static func conntrackSaysSourceNATed(_ local: IPSocketAddress, _ proto: TransportProtocol, in lab: NetworkLab) async throws -> Bool {
        let result = try await lab.exec(in: lab.node, [
            "conntrack", "-L", "--src-nat", "-p", proto.netfilterName, "--orig-src", local.ip.description,
            "--orig-port-src", String(local.port),
        ])
        return result.succeeded && result.stdout.contains("src=")
    }

    /// The node's conntrack entry for one answered attempt must show the DNAT to the pod that answered and
    /// source NAT exactly when the source was masqueraded. Traffic that is not for a Service shows neither.
    static func verifyConntrack(_ check: PacketCheck, _ attempt: ConnectionAttempt, _ source: PacketCheck.Source, in lab: NetworkLab) async throws -> [String] {
        guard let local = attempt.local, let name = attempt.outcome.replyName else { return [] }
        let entries = try await lab.conntrackEntries(in: lab.node)
        guard let entry = entries.first(where: {
            $0.original.sourceAddress == local && $0.original.destinationAddress == IPSocketAddress(ip: check.to, port: check.port)
        }) else {
            return ["\(check): no conntrack entry in the node for \(local) → \(check.to):\(check.port)"]
        }
        var failures: [String] = []
        let pod = try lab.pod(name)
        if entry.endpoint?.ip != pod.address(check.to.family) {
            failures.append("\(check): conntrack shows the reply from \(String(describing: entry.endpoint)), not \(name)")
        }
        if entry.isSourceNATed != (source == .masqueraded) {
            failures.append("\(check): conntrack says source NAT \(entry.isSourceNATed): \(entry)")
        }
        return failures
    }
}
