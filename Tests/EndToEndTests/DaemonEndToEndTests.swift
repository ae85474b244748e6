import Foundation
import ProxyTesting
import ServiceModel
import Testing

/// The real proxyd daemon (`proxyd --config config.yaml`) in a lab node, following the fake API server, with
/// real pods answering real connections from an outside client.
@Suite("proxyd daemon end to end", .requiresRoot)
struct DaemonEndToEndTests {
    let a = ScenarioAddresses(.ipv4)
    var clusterIP: String { a.clusterIP(10) }

    func webService(
        ports: [Service.Port] = [.tcp(80, name: "http"), .tcp(9000, name: "echo")], configure: (inout Service) -> Void = { _ in }
    ) -> KubernetesObject {
        a.service("web", clusterIP: 10, ports: ports, configure: configure)
    }

    func webSlice(_ pods: [String]) -> KubernetesObject {
        a.slice("web", ready: pods, ports: [
            .init(name: "http", protocol: "TCP", port: 8080), .init(name: "echo", protocol: "TCP", port: 9000),
        ])
    }

    @Test("a Service follows the cluster: created, scaled up, scaled down, emptied, deleted", arguments: ScenarioMode.allCases)
    func serviceFollowsTheCluster(mode: ScenarioMode) async throws {
        try await DaemonInLab.with(mode: mode) { run, proxyd in
            // A problem the Service keeps through every change below: logged when it appears, not at every sync.
            let badExternalIP = webService { $0.spec.externalIPs = ["not-an-ip"] }
            try await run.server.put([badExternalIP, webSlice(["web-1"])])
            try await run.eventually("the new ClusterIP reaches web-1", process: proxyd) {
                try await run.answering(clusterIP, count: 3) == ["web-1", "web-1", "web-1"]
            }

            try await run.server.put(webSlice(["web-1", "web-2", "web-r"]))
            try await run.eventually("connections spread over the three endpoints after scaling up", process: proxyd) {
                Set(try await run.answering(clusterIP, count: 30)) == ["web-1", "web-2", "web-r"]
            }

            try await run.server.put(webSlice(["web-r"]))
            try await run.eventually("only web-r answers after scaling down", process: proxyd) {
                Set(try await run.answering(clusterIP, count: 12)) == ["web-r"]
            }

            try await run.server.put(webSlice([]))
            try await run.eventually("a Service without endpoints refuses connections", process: proxyd) {
                try await run.outcome(clusterIP) == .refused
            }

            try await run.server.put(webSlice(["web-2"]))
            try await run.eventually("endpoints come back", process: proxyd) {
                try await run.outcome(clusterIP).replyName == "web-2"
            }
            let warning = #"Service default/web: spec.externalIPs[0]: "not-an-ip" is not an IP address; ignoring it"#
            #expect(proxyd.standardError.components(separatedBy: warning).count - 1 == 1, "\(proxyd.standardError)")
            try await run.server.delete([webService().reference, webSlice([]).reference])
            try await run.eventually("a deleted Service's address reaches no pod", process: proxyd) {
                try await run.outcome(clusterIP).replyName == nil
            }
        }
    }

    @Test("the API server goes away: rules stay and traffic flows; proxyd catches up when it returns")
    func apiServerOutage() async throws {
        try await DaemonInLab.with { run, proxyd in
            try await run.server.put([webService(), webSlice(["web-1"])])
            try await run.eventually("the ClusterIP reaches web-1", process: proxyd) {
                try await run.outcome(clusterIP).replyName == "web-1"
            }
            // The API server becomes unreachable from the node; proxyd's watches break.
            await run.stopForwarder()
            await run.server.cutWatches()
            #expect(try await run.answering(clusterIP, count: 10).allSatisfy { $0 == "web-1" })

            // Meanwhile the cluster changes, and the server forgets the history a watch would resume from.
            try await run.server.put(webSlice(["web-2"]))
            await run.server.expireHistory()
            #expect(try await run.outcome(clusterIP).replyName == "web-1", "rules changed without an API server")

            try await run.startForwarder()
            try await run.eventually("proxyd relists and follows the change", process: proxyd) {
                Set(try await run.answering(clusterIP, count: 6)) == ["web-2"]
            }
        }
    }

    @Test("SIGTERM then restart: an established connection keeps working and no new connection fails")
    func restartKeepsTrafficFlowing() async throws {
        try await DaemonInLab.with { run, proxyd in
            let lab = run.lab
            try await run.server.put([webService(), webSlice(["web-1", "web-r"])])
            try await run.eventually("the ClusterIP answers", process: proxyd) {
                try await run.outcome(clusterIP).replyName != nil
            }
            let stopFile = run.directory + "/release-held-connection"
            let held = try await lab.start(in: lab.client, [
                try LabBinaries.path(of: "proxyd-lab"), "connect", "--tcp", clusterIP, "9000", "--hold-until", stopFile,
            ])
            let greeting = try await held.waitForLine { $0.contains("\"outcome\":\"reply\"") }

            // New connections all along, while proxyd stops and a new one starts.
            let probe = ConnectionProbe(lab: lab, address: IPAddress(clusterIP)!, port: 80)
            await probe.start()
            await probe.nextBatch()
            let status = await lab.stop(proxyd, gracePeriod: .seconds(10))
            #expect(status == .exited(0), "proxyd did not exit cleanly on SIGTERM: \(String(describing: status))\n\(proxyd.standardError)")
            #expect(proxyd.standardError.contains("stopped"))
            await probe.nextBatch()  // connections while no proxyd runs at all
            let restarted = try await run.startProxyd()
            // One change through the new process proves it took over the tables.
            try await run.server.put(webSlice(["web-1", "web-r", "web-2"]))
            try await run.eventually("the restarted proxyd programs a change", process: restarted) {
                try await run.answering(clusterIP, count: 30).contains("web-2")
            }
            let outcomes = try await probe.stop()
            #expect(!outcomes.isEmpty)
            #expect(outcomes.allSatisfy { $0.replyName != nil }, "a new connection failed during the restart: \(outcomes.filter { $0.replyName == nil })")

            let answeredBefore = held.outputLines.count
            let awaited = "ping \(answeredBefore + 2)"
            _ = try await held.waitForLine(timeout: .seconds(10)) { $0.contains(awaited) }
            _ = FileManager.default.createFile(atPath: stopFile, contents: nil)
            _ = try await held.waitForExit()
            let answering = greeting.contains("web-1") ? "web-1" : "web-r"
            #expect(held.outputLines.allSatisfy { $0.contains("\"outcome\":\"reply\"") && $0.contains(answering) }, "\(held.outputLines)")
        }
    }

    @Test("/healthz, /livez, /metrics, /proxyMode, /debug/rules and a health-check node port answer as specified")
    func httpSurfaces() async throws {
        try await DaemonInLab.with { run, proxyd in
            let healthCheckNodePort = 32100
            let loadBalancer = a.loadBalancerIP(7)
            let service = a.service("edge", clusterIP: 20, type: "LoadBalancer", ports: [.tcp(80, name: "http", nodePort: 30080)]) {
                $0.spec.externalTrafficPolicy = "Local"
                $0.spec.healthCheckNodePort = healthCheckNodePort
                $0.status = .init(loadBalancer: .init(ingress: [.init(ip: loadBalancer)]))
            }
            // The EndpointSlice controller's trigger time: proxyd observes network programming latency from it.
            guard case .endpointSlice(var slice) = a.slice("edge", ready: ["web-1"]) else { return }
            slice.metadata.annotations = [
                EndpointSlice.lastChangeTriggerTimeAnnotation: ISO8601DateFormatter().string(from: Date())
            ]
            try await run.server.put([service, .endpointSlice(slice)])
            let node = a.node.description
            let healthURL = "http://\(node):\(healthCheckNodePort)/"
            try await run.eventually("the health-check node port serves 200 from the client", process: proxyd) {
                try await run.http(healthURL, from: run.lab.client).status == 200
            }
            let healthy = try await run.http(healthURL, from: run.lab.client)
            #expect(healthy.headers["content-type"]?.contains("application/json") == true)
            #expect(healthy.headers["x-load-balancing-endpoint-weight"] == "1")
            let healthyBody = try JSONSerialization.jsonObject(with: Data(healthy.body.utf8)) as? [String: Any]
            #expect(healthyBody?["localEndpoints"] as? Int == 1)
            #expect((healthyBody?["service"] as? [String: Any])?["name"] as? String == "edge")

            try await run.server.put(a.slice("edge", ready: ["web-r"]))
            try await run.eventually("no local endpoint: 503", process: proxyd) {
                try await run.http(healthURL, from: run.lab.client).status == 503
            }
            try await run.server.delete([service.reference])
            try await run.eventually("the health-check server closes with its Service", process: proxyd) {
                try await run.http(healthURL, from: run.lab.client).status == 0
            }

            let healthz = try await run.http("http://127.0.0.1:\(DaemonInLab.healthzPort)/healthz")
            #expect(healthz.status == 200)
            let healthzBody = try JSONSerialization.jsonObject(with: Data(healthz.body.utf8)) as? [String: Any]
            #expect(healthzBody?["lastUpdated"] != nil && healthzBody?["currentTime"] != nil, "\(healthz.body)")
            #expect(try await run.http("http://127.0.0.1:\(DaemonInLab.healthzPort)/livez").status == 200)

            let metrics = try await run.http("http://127.0.0.1:\(DaemonInLab.metricsPort)/metrics")
            #expect(metrics.status == 200)
            for series in [
                "kubeproxy_sync_proxy_rules_duration_seconds_count", "kubeproxy_sync_proxy_rules_last_timestamp_seconds",
                "kubeproxy_sync_full_proxy_rules_duration_seconds_count", "kubeproxy_network_programming_duration_seconds_count",
                "kubeproxy_sync_proxy_rules_endpoint_changes_total", "kubeproxy_sync_proxy_rules_service_changes_total",
            ] {
                #expect(metrics.body.contains(series), "/metrics lacks \(series)")
            }
            let mode = try await run.http("http://127.0.0.1:\(DaemonInLab.metricsPort)/proxyMode")
            #expect(mode.body.trimmingCharacters(in: .whitespacesAndNewlines) == "nftables")
            let rules = try await run.http("http://127.0.0.1:\(DaemonInLab.metricsPort)/debug/rules")
            #expect(rules.status == 200)
            #expect(rules.body.contains("# last applied transaction") && rules.body.contains("ip proxyd"), "\(rules.body.prefix(300))")

            // The cluster autoscaler marks the node for removal: load balancers must stop sending to it, so
            // /healthz fails while /livez (is the process alive?) does not.
            guard case .node(var node) = a.nodes[0] else { return }
            node.spec = .init(taints: [.init(key: Node.toBeDeletedTaint, effect: "NoSchedule")])
            try await run.server.put(.node(node))
            try await run.eventually("/healthz answers 503 for a node about to be removed", process: proxyd) {
                try await run.http("http://127.0.0.1:\(DaemonInLab.healthzPort)/healthz").status == 503
            }
            let ineligible = try await run.http("http://127.0.0.1:\(DaemonInLab.healthzPort)/healthz")
            #expect(ineligible.body.contains("\"nodeEligible\":false"), "\(ineligible.body)")
            #expect(try await run.http("http://127.0.0.1:\(DaemonInLab.healthzPort)/livez").status == 200)
        }
    }
}
