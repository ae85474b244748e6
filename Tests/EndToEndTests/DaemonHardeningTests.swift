import Foundation
import ProxyTesting
import ServiceModel
import Testing

/// The real proxyd daemon in a lab node, where a node differs from the usual one or someone misbehaves: an
/// IPv4-only node, a flood of idle connections, a scrape before anything happened.
@Suite("proxyd daemon hardening", .requiresRoot)
struct DaemonHardeningTests {
    let a = ScenarioAddresses(.ipv4)

    /// The health-check node port bound `::`, which a node without IPv6 cannot bind ("Address family for
    /// hostname not supported"): load balancers saw every node as unhealthy.
    @Test("a health-check node port answers on a node without IPv6")
    func healthCheckNodePortOnAnIPv4OnlyNode() async throws {
        let spec = LabSpec(pods: ServiceScenario.labSpec.pods, remotePods: ServiceScenario.labSpec.remotePods, ipv4OnlyNode: true)
        // An IPv4-only cluster's Nodes have IPv4 addresses only.
        let nodes: [KubernetesObject] = [
            .node(Fixtures.node(ServiceScenario.nodeName, addresses: [a.node.description])),
            .node(Fixtures.node(ServiceScenario.remoteNodeName, addresses: [a.remoteNode.description])),
        ]
        try await DaemonInLab.with(spec: spec, nodes: nodes) { run, proxyd in
            let healthCheckNodePort = 32100
            let service = a.service("edge", clusterIP: 20, type: "LoadBalancer", ports: [.tcp(80, name: "http", nodePort: 30080)]) {
                $0.spec.externalTrafficPolicy = "Local"
                $0.spec.healthCheckNodePort = healthCheckNodePort
                $0.status = .init(loadBalancer: .init(ingress: [.init(ip: a.loadBalancerIP(7))]))
            }
            try await run.server.put([service, a.slice("edge", ready: ["web-1"])])
            let url = "http://\(a.node):\(healthCheckNodePort)/"
            try await run.eventually("the health-check node port answers 200 from the client", process: proxyd) {
                try await run.http(url, from: run.lab.client).status == 200
            }
            #expect(try await run.http(url, from: run.lab.client).headers["x-load-balancing-endpoint-weight"] == "1")
            #expect(!proxyd.standardError.contains("cannot serve health-check node port"), "\(proxyd.standardError)")
            // The NodePort itself works there too.
            #expect(try await run.outcome(a.node.description, port: 30080).replyName == "web-1")
        }
    }

    /// 20,000 such connections took every descriptor: the API server connection failed and /healthz stopped.
    @Test("idle half-sent connections to /healthz are bounded and closed; /healthz keeps answering")
    func slowlorisOnTheHealthPort() async throws {
        try await DaemonInLab.with { run, proxyd in
            // More than the connection budget (256), well within this process's descriptors.
            let flood = try await HalfSentConnections.open(count: 300, port: DaemonInLab.healthzPort, namespace: run.lab.node.namespace)
            do {
                let healthz = try await run.http("http://127.0.0.1:\(DaemonInLab.healthzPort)/healthz")
                #expect(healthz.status == 200, "\(healthz)\n\(proxyd.standardError)")
                let metrics = try await run.http("http://127.0.0.1:\(DaemonInLab.metricsPort)/metrics")
                #expect(metrics.status == 200)
                // The oldest beyond the budget at once, the rest once idle for the timeout (10 s).
                let stillOpen = try await flood.waitUntilTheServerClosesAll(timeout: .seconds(60))
                #expect(stillOpen == 0, "\(stillOpen) of 300 idle half-sent connections were never closed")
                #expect(try await run.http("http://127.0.0.1:\(DaemonInLab.healthzPort)/healthz").status == 200)
            } catch {
                try? await flood.close()
                throw error
            }
            try await flood.close()
        }
    }

    /// kube-proxy exports its counters and histograms, and client_golang its process metrics, from start;
    /// proxyd exported each series only once something was observed.
    @Test("/metrics lists kube-proxy's series and the process metrics before the first sync")
    func metricsBeforeTheFirstSync() async throws {
        try await DaemonInLab.prepared { run in
            // No API server: proxyd lists nothing, so it never syncs.
            await run.stopForwarder()
            let proxyd = try await run.launchProxyd()
            let url = "http://127.0.0.1:\(DaemonInLab.metricsPort)/metrics"
            try await run.eventually("/metrics answers", process: proxyd) { try await run.http(url).status == 200 }
            let body = try await run.http(url).body
            #expect(!proxyd.standardError.contains(" synced "), "no sync may have happened: \(proxyd.standardError)")
            for family in ["IPv4", "IPv6"] {
                for series in [
                    "kubeproxy_sync_proxy_rules_duration_seconds_count", "kubeproxy_sync_full_proxy_rules_duration_seconds_count",
                    "kubeproxy_sync_partial_proxy_rules_duration_seconds_count", "kubeproxy_network_programming_duration_seconds_count",
                ] {
                    #expect(body.contains("\(series){ip_family=\"\(family)\"} 0\n"), "/metrics lacks \(series) for \(family):\n\(body)")
                }
                #expect(body.contains("kubeproxy_network_programming_duration_seconds_bucket{ip_family=\"\(family)\",le=\"0.25\"} 0\n"))
                #expect(body.contains("kubeproxy_sync_proxy_rules_no_local_endpoints_total{ip_family=\"\(family)\",traffic_policy=\"external\"} 0"))
            }
            func value(_ name: String) -> Double? {
                body.split(separator: "\n").first { $0.hasPrefix(name + " ") }.flatMap { Double($0.dropFirst(name.count + 1)) }
            }
            for series in [
                "kubeproxy_sync_proxy_rules_last_timestamp_seconds", "kubeproxy_sync_proxy_rules_last_queued_timestamp_seconds",
                "kubeproxy_sync_proxy_rules_endpoint_changes_total", "kubeproxy_sync_proxy_rules_service_changes_total",
                "kubeproxy_sync_proxy_rules_endpoint_changes_pending", "kubeproxy_sync_proxy_rules_service_changes_pending",
                "kubeproxy_sync_proxy_rules_nftables_sync_failures_total", "kubeproxy_conntrack_reconciler_deleted_entries_total",
                "kubeproxy_conntrack_reconciler_sync_duration_seconds_count",
            ] {
                #expect(value(series) == 0, "/metrics lacks \(series) at 0")
            }
            #expect((value("process_resident_memory_bytes") ?? 0) > 0)
            #expect((value("process_virtual_memory_bytes") ?? 0) >= (value("process_resident_memory_bytes") ?? .infinity))
            #expect((value("process_open_fds") ?? 0) > 0)
            #expect((value("process_max_fds") ?? 0) >= (value("process_open_fds") ?? .infinity))
            #expect(value("process_cpu_seconds_total") != nil)
            #expect((value("process_start_time_seconds") ?? 0) > 1_600_000_000)
            #expect(body.contains("# TYPE process_cpu_seconds_total counter\n"))
        }
    }
}
