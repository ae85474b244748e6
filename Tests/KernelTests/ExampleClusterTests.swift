import Foundation
import ProxyTesting
import ServiceModel
import Testing

/// The bundled example (examples/), programmed verbatim by `proxyd --once` as node-a, answers real connections,
/// in every mode.
@Suite("the example cluster through the real kernel", .requiresRoot)
struct ExampleClusterTests {
    static let examples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("examples").path

    @Test(arguments: ScenarioMode.allCases)
    func clusterIPNodePortAndLoadBalancerOfTheExampleReachPods(mode: ScenarioMode) async throws {
        // Local pod 1 is 10.244.0.11 and remote pod 2 is 10.244.1.12: the example's frontend endpoints.
        try await NetworkLab.with(LabSpec(pods: ["frontend-a"], remotePods: ["other", "frontend-b"])) { lab in
            let frontendA = try lab.pod("frontend-a")
            // The example's remaining addresses: node-a's InternalIP, checkout's local endpoint (served by the
            // same pod), and a client address inside checkout's loadBalancerSourceRanges.
            _ = try await lab.exec(in: lab.node, ["ip", "addr", "add", "192.168.49.2/32", "dev", "eth0"]).requireSuccess()
            _ = try await lab.exec(in: frontendA, ["ip", "addr", "add", "10.244.0.41/32", "dev", "eth0"]).requireSuccess()
            _ = try await lab.exec(in: lab.node, ["ip", "route", "add", "10.244.0.41/32", "dev", LabTopology.podVethName(index: 1)]).requireSuccess()
            _ = try await lab.exec(in: lab.client, ["ip", "addr", "add", "198.51.100.50/32", "dev", "eth0"]).requireSuccess()
            for pod in [frontendA, try lab.pod("frontend-b")] {
                _ = try await lab.serve(in: pod, tcp: [8080, 8443])
            }
            let result = try await lab.exec(in: lab.node, [
                try LabBinaries.path(of: "proxyd"), "--objects", Self.examples, "--hostname-override", "node-a",
                "--cluster-cidr", "10.244.0.0/16,fd00:10:244::/56", "--once",
            ] + mode.flags).requireSuccess()
            #expect(result.stderr.contains("synced"))

            let clusterIP = try await lab.connectAttempts(from: lab.client, to: "10.96.10.20", port: 80, count: 16)
            #expect(Set(clusterIP.compactMap(\.outcome.replyName)) == ["frontend-a", "frontend-b"], "\(clusterIP)")
            let nodePort = try await lab.connectAttempts(from: lab.client, to: "192.168.49.2", port: 30080, count: 16)
            #expect(Set(nodePort.compactMap(\.outcome.replyName)) == ["frontend-a", "frontend-b"], "\(nodePort)")
            // checkout: externalTrafficPolicy Local, so the local (terminating but serving) endpoint, client IP kept.
            let loadBalancer = try await lab.connect(from: lab.client, to: "203.0.113.10", port: 443, source: "198.51.100.50")
            #expect(loadBalancer.replyName == "frontend-a")
            #expect(loadBalancer.peer?.ip == "198.51.100.50")
            // The same load balancer from outside its source ranges is dropped.
            #expect(try await lab.connect(from: lab.client, to: "203.0.113.10", port: 443, timeout: .milliseconds(400)) == .timeout)
        }
    }

    @Test func sctpServicesAreProgrammed() async throws {
        let a = ScenarioAddresses(.ipv4)
        try await NetworkLab.with(LabSpec(pods: [])) { lab in
            let objects = a.nodes + [
                a.service("sctp", clusterIP: 30, ports: [.sctp(9000, name: "s")]),
                a.slice("sctp", ready: ["web-1"], ports: [.init(name: "s", protocol: "SCTP", port: 9000)]),
            ]
            _ = try await ProxydInLab.once(lab, objects: objects)
            // This kernel has no SCTP sockets to send with; the kernel accepted the rules and holds the mapping.
            let map = try await lab.exec(in: lab.node, ["nft", "list", "map", "ip", "proxyd", "service-ips"]).requireSuccess().stdout
            #expect(map.contains("10.96.0.30 . sctp . 9000"))
            let endpoints = try await lab.exec(in: lab.node, ["nft", "list", "map", "ip", "proxyd", "service-endpoints"]).requireSuccess().stdout
            #expect(endpoints.contains("10.96.0.30 . sctp . 9000 . 0 : 10.244.0.11 . 9000"))
        }
    }
}
