import Foundation
import ProxyTesting
import ServiceModel
import Testing

/// The real proxyd daemon cleans stale UDP conntrack entries after the sync that removed their endpoint, and
/// counts them in kube-proxy's metric.
@Suite("conntrack cleanup in the daemon", .requiresRoot)
struct ConntrackCleanupDaemonTests {
    /// Polls `condition` until it holds or `deadline` passes (the daemon posts no event a test could await).
    func eventually(_ what: String, within deadline: Duration = .seconds(20), _ condition: () async throws -> Bool) async throws {
        let end = ContinuousClock.now + deadline
        while try await !condition() {
            guard ContinuousClock.now < end else { throw LabError(.readyTimeout, "\(what) did not happen within \(deadline)") }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    @Test func theSyncThatRemovesAnEndpointDeletesItsUDPFlowsAndCountsThem() async throws {
        let a = ScenarioAddresses(.ipv4)
        let clusterIP = a.ip(a.clusterIP(20))
        func objects(_ endpoints: [String]) -> [KubernetesObject] {
            a.nodes + [
                a.service("dns", clusterIP: 20, ports: [.udp(53, name: "dns")]),
                a.slice("dns", ready: endpoints, ports: [.init(name: "dns", protocol: "UDP", port: 8080)]),
            ]
        }
        let directory = NSTemporaryDirectory() + "proxyd-objects-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try ScenarioRunner.writeObjects(objects(["web-1"]), to: directory)

        try await NetworkLab.with(ServiceScenario.labSpec) { lab in
            for pod in lab.pods { try await lab.serve(in: pod, udp: [8080]) }
            let proxyd = try await lab.start(in: lab.node, try ProxydInLab.command([
                "--objects", directory, "--metrics-bind-address", "127.0.0.1:10249", "--healthz-bind-address", "127.0.0.1:0",
            ]))
            try await eventually("the first sync") {
                try await lab.exec(in: lab.node, ["nft", "list", "map", "ip", "proxyd", "service-ips"]).stdout.contains("\(clusterIP) . udp . 53")
            }
            let toWeb1 = try await lab.connectAttempts(from: lab.client, to: clusterIP, port: 53, proto: .udp)[0]
            #expect(toWeb1.outcome.replyName == "web-1")
            let web1 = IPSocketAddress(ip: a.pod("web-1"), port: 8080)
            #expect(try await lab.conntrackEntries(in: lab.node).contains { $0.endpoint == web1 })

            // web-1 goes away, web-2 takes over: the next sync deletes the flow to web-1.
            try ScenarioRunner.writeObjects(objects(["web-2"]), to: directory)
            try await eventually("the stale entry's removal") {
                try await !lab.conntrackEntries(in: lab.node).contains { $0.endpoint == web1 }
            }
            let afterwards = try await lab.connect(from: lab.client, to: clusterIP, port: 53, proto: .udp)
            #expect(afterwards.replyName == "web-2")

            // bash's /dev/tcp: the node namespace's loopback, no HTTP client needed.
            let metrics = try await lab.exec(in: lab.node, ["timeout", "10", "bash", "-c", """
                exec 3<>/dev/tcp/127.0.0.1/10249 && printf 'GET /metrics HTTP/1.1\\r\\nHost: x\\r\\nConnection: close\\r\\n\\r\\n' >&3 && cat <&3
                """]).requireSuccess().stdout
            #expect(metrics.contains("kubeproxy_conntrack_reconciler_deleted_entries_total 1"), "\(metrics)")
            #expect(metrics.contains("kubeproxy_conntrack_reconciler_sync_duration_seconds_count"), "\(metrics)")
            #expect(proxyd.standardError.contains("deleted stale conntrack entries"), "\(proxyd.standardError)")
            await lab.stop(proxyd)
        }
    }
}
