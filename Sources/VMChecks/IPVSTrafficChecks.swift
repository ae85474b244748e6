import Backends
import Foundation
import ProxyTesting
import ServiceModel

/// Real connections through virtual servers that the planner and driver programmed, in a network-namespace lab
/// inside the VM (`docs/testing-lab.md`): a client outside the node, pods behind it.
///
/// The IPVS scenario table (issue 12) will run here the same way, once the iptables layer of IPVS mode exists.
enum IPVSTrafficChecks {
    static let all = [connections, drain]

    static func clusterIP(_ family: IPFamily, _ host: UInt8) -> IPAddress {
        family == .ipv4 ? IPAddress("10.96.0.\(host)")! : IPAddress("fd00:10:96::\(host)")!
    }

    /// A Service port of the lab's pods (`default/<name>`), all endpoints on this node.
    static func port(
        _ name: String, _ lab: NetworkLab, _ family: IPFamily, clusterIP host: UInt8, pods: [String], targetPort: UInt16,
        nodePort: UInt16? = nil, affinity: SessionAffinity = .none
    ) throws -> ServicePort {
        let endpoints = try pods.map { ServiceEndpoint(address: try lab.pod($0).address(family), port: targetPort, isLocal: true) }.sorted()
        let key = ObjectKey(namespace: "default", name: name)
        return ServicePort(
            name: ServicePortName(service: key, port: "", protocol: .tcp), clusterIP: clusterIP(family, host), port: 80,
            nodePort: nodePort, sessionAffinity: affinity, clusterEndpoints: endpoints, localEndpoints: endpoints,
            hasAnyEndpoints: !endpoints.isEmpty)
    }

    static func state(_ ports: [ServicePort], _ lab: NetworkLab, _ family: IPFamily) -> DesiredState {
        DesiredState(
            family: family,
            node: .init(nodeIPs: [lab.node.address(family)], nodePortAddresses: .addresses([lab.node.address(family)])),
            services: Dictionary(grouping: ports, by: \.name.service))
    }

    static func planner(_ lab: NetworkLab, _ family: IPFamily) -> IPVSPlanner {
        IPVSPlanner(family: family, settings: IPVSSettings(), nodePortAddresses: .addresses([lab.node.address(family)]), localAddresses: lab.node.addresses)
    }

    static let connections = VMCheck(
        "connections from outside reach the pods through ClusterIP and NodePort virtual servers; ClientIP affinity sticks",
        timeout: .seconds(240)
    ) { check in
        try await NetworkLab.with(LabSpec(pods: ["web-1", "web-2"])) { lab in
            for pod in lab.pods { try await lab.serve(in: pod, tcp: [8080]) }
            let driver = try await IPVSDriver(networkNamespace: "/run/netns/\(lab.node.namespace)")
            for family in IPFamily.allCases {
                let ports = [
                    try port("web", lab, family, clusterIP: 10, pods: ["web-1", "web-2"], targetPort: 8080, nodePort: 30080),
                    try port("sticky", lab, family, clusterIP: 11, pods: ["web-1", "web-2"], targetPort: 8080, affinity: .clientIP(timeoutSeconds: 600)),
                ]
                let plan = planner(lab, family).plan(state(ports, lab, family), kernel: try await driver.kernelState(family: family))
                try await driver.apply(plan.operations)

                let spread = try await lab.connectAttempts(from: lab.client, to: clusterIP(family, 10), port: 80, count: 12)
                check.expect(Set(spread.compactMap(\.outcome.replyName)) == ["web-1", "web-2"], "\(family) ClusterIP, round robin: \(spread)")
                // IPVS NAT rewrites the destination only: the pod sees the client.
                check.expect(spread.allSatisfy { $0.outcome.peer?.ip == lab.client.address(family) }, "\(family): \(spread)")

                let nodePort = try await lab.connectAttempts(from: lab.client, to: lab.node.address(family), port: 30080, count: 4)
                check.expect(nodePort.allSatisfy { $0.outcome.replyName != nil }, "\(family) NodePort: \(nodePort)")

                let sticky = try await lab.connectAttempts(from: lab.client, to: clusterIP(family, 11), port: 80, count: 8)
                let answered = Set(sticky.compactMap(\.outcome.replyName))
                check.expect(answered.count == 1 && sticky.allSatisfy { $0.outcome.replyName != nil }, "\(family) ClientIP affinity: \(sticky)")
            }
            let listing = try await Ipvsadm.list(in: lab)
            check.note("ipvsadm -Ln in the lab node:\n" + listing.joined(separator: "\n"))
            check.expect(listing.contains("TCP 10.96.0.10:80 rr"), "the scheduler in ipvsadm -Ln: \(listing)")
            check.expect(listing.contains("TCP 10.96.0.11:80 rr persistent 600"), "persistence in ipvsadm -Ln: \(listing)")
            check.expect(listing.contains("TCP [fd00:10:96::11]:80 rr persistent 600"), "\(listing)")
        }
    }

    static let drain = VMCheck(
        "a drained TCP real server keeps its open connection at weight 0 and is deleted once the connection is gone",
        timeout: .seconds(240)
    ) { check in
        try await NetworkLab.with(LabSpec(pods: ["web-1", "web-2"])) { lab in
            let lab_ = try LabBinaries.path(of: "proxyd-lab")
            for pod in lab.pods {
                try await lab.start(in: pod, [lab_, "serve", "--name", pod.name, "--tcp-echo", "9000"], readyLine: "ready")
            }
            let driver = try await IPVSDriver(networkNamespace: "/run/netns/\(lab.node.namespace)")
            let planner = planner(lab, .ipv4)
            let before = state([try port("web", lab, .ipv4, clusterIP: 10, pods: ["web-1"], targetPort: 9000)], lab, .ipv4)
            let full = planner.plan(before, kernel: try await driver.kernelState(family: .ipv4))
            try await driver.apply(full.operations)

            let stopFile = NSTemporaryDirectory() + "proxyd-hold-" + UUID().uuidString
            let doneFile = NSTemporaryDirectory() + "proxyd-done-" + UUID().uuidString
            _ = FileManager.default.createFile(atPath: doneFile, contents: nil)
            defer {
                try? FileManager.default.removeItem(atPath: stopFile)
                try? FileManager.default.removeItem(atPath: doneFile)
            }
            let held = try await lab.start(in: lab.client, [lab_, "connect", "--tcp", "10.96.0.10", "80", "--hold-until", stopFile, "--close-with-reset"])
            let greeting = try await held.waitForLine { $0.contains("\"outcome\":\"reply\"") }
            try check.require(greeting.contains("web-1"), "the held connection: \(greeting)")

            // The endpoint moves from web-1 to web-2: web-1 is drained, not deleted.
            let after = state([try port("web", lab, .ipv4, clusterIP: 10, pods: ["web-2"], targetPort: 9000)], lab, .ipv4)
            let change = try check.require(planner.plan(DesiredStateDiff(from: before, to: after), state: after, committed: full.committed), "no partial plan")
            check.expect(change.operations.map(\.description) == [
                "-a -t 10.96.0.10:80 -r \(try lab.pod("web-2").ipv4):9000 -m -w 1", "-e -t 10.96.0.10:80 -r \(try lab.pod("web-1").ipv4):9000 -m -w 0",
            ], change.text)
            try await driver.apply(change.operations)
            let web = IPVSVirtualService("10.96.0.10", .tcp, 80)
            let drainedID = IPVSRealServer.ID(try lab.pod("web-1").ipv4, 9000)

            var listed = try await driver.realServers(of: [web])
            let drained = try check.require(listed[web]?.first { $0.realServer.id == drainedID }, "web-1 is gone: \(listed)")
            check.expect(drained.realServer.weight == 0 && drained.connections.active == 1, "web-1 while its connection is open: \(drained)")
            check.expect(planner.finishDrains(change.committed, listed: listed).operations.isEmpty, "a busy drained real server was deleted")

            // The open connection still flows; new connections go to web-2 only.
            let answered = held.outputLines.count
            _ = try await held.waitForLine { $0.contains("ping \(answered + 1)") }
            for _ in 0..<2 {
                let probe = try await lab.exec(in: lab.client, [lab_, "connect", "--tcp", "10.96.0.10", "80", "--hold-until", doneFile])
                check.expect(probe.stdout.contains("web-2"), "a new connection while web-1 drains: \(probe)")
            }

            // The client resets its connection; once IPVS forgets it (CLOSE state, 10 s), the drain finishes.
            _ = FileManager.default.createFile(atPath: stopFile, contents: nil)
            _ = try await held.waitForExit()
            let closed = ContinuousClock.now
            var idle = false
            while !idle && ContinuousClock.now - closed < .seconds(60) {
                listed = try await driver.realServers(of: [web])
                idle = listed[web]?.first { $0.realServer.id == drainedID }?.connections.isIdle ?? true
                if !idle { try await Task.sleep(for: .milliseconds(500)) }
            }
            try check.require(idle, "web-1 still has connections a minute after the reset: \(listed)")
            check.note("the reset connection left IPVS after \(ContinuousClock.now - closed)")
            let finish = planner.finishDrains(change.committed, listed: listed)
            check.expect(finish.operations == [.deleteRealServer(web, drainedID)], finish.text)
            try await driver.apply(finish.operations)
            let remaining = try await driver.realServers(of: [web])[web]?.map(\.realServer.id) ?? []
            check.expect(remaining == [IPVSRealServer.ID(try lab.pod("web-2").ipv4, 9000)], "\(remaining)")
        }
    }
}
