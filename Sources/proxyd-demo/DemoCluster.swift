import Foundation
import ProxyTesting
import ServiceModel

/// The running demo cluster: the lab's namespaces, a pod server per endpoint, the fake API server holding
/// `examples/`, and proxyd on each node following it.
///
/// The fake API server runs inside this process on a Unix socket; `proxyd-lab forward` in each node makes it
/// `http://127.0.0.1:6443` there — the node's view of its control plane — so proxyd reads it over real HTTP with
/// real list and watch semantics.
struct DemoCluster: Sendable {
    static let apiPort: UInt16 = 6443
    static let metricsPort: UInt16 = 10249
    static let healthzPort: UInt16 = 10256

    let lab: NetworkLab
    let server: FakeAPIServer
    let plan: DemoPlan
    let proxyds: [DemoPlan.Node: ProxydNode]

    /// The lab host of a node.
    func host(_ node: DemoPlan.Node) -> LabHost {
        node == .a ? lab.node : lab.remoteNode!
    }

    func pod(_ name: String) throws -> LabHost { try lab.pod(name) }

    func proxyd(_ node: DemoPlan.Node) -> ProxydNode { proxyds[node]! }

    /// `count` fresh connections from `host` to `address:port`, each a new load-balancing decision.
    func connections(from host: LabHost, to address: IPAddress, port: UInt16, count: Int) async throws -> ConnectionTally {
        ConnectionTally(try await lab.connectAttempts(from: host, to: address, port: port, count: count).map(\.outcome))
    }

    /// An HTTP GET inside a node (curl): status and body; status 0 when nothing answered.
    func get(_ path: String, port: UInt16, on node: DemoPlan.Node) async throws -> (status: Int, body: String) {
        let result = try await lab.exec(in: host(node), [
            "curl", "-s", "--max-time", "5", "-o", "-", "-w", "\n%{http_code}", "http://127.0.0.1:\(port)\(path)",
        ])
        var lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        let status = lines.popLast().flatMap { Int($0) } ?? 0
        return (result.succeeded ? status : 0, lines.joined(separator: "\n"))
    }

    /// Builds the cluster, narrating step 1 (and waiting at `hold` once the namespaces exist), runs `body`, and tears
    /// everything down on every exit path.
    static func with(
        plan: DemoPlan, proxyd proxydPath: String, narrator: Narrator, witness: CleanupWitness, hold: Hold?,
        _ body: (DemoCluster) async throws -> Void
    ) async throws {
        let directory = NSTemporaryDirectory() + "proxyd-demo-" + String(UUID().uuidString.prefix(8))
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }

        try await NetworkLab.with(plan.labSpec) { lab in
            witness.recordNamespaces(prefix: "pxl-\(lab.id)-", count: lab.topology.namespaces.count)
            let nodes = [DemoPlan.Node.a: lab.node, .b: lab.remoteNode!]
            narrator.say("Two nodes and an outside client on one bridge (network namespaces pxl-\(lab.id)-*):")
            try await addExampleAddresses(lab: lab, plan: plan, nodes: nodes)
            for node in DemoPlan.Node.allCases {
                let pods = DemoPlan.pods(on: node).map { pod in "\(pod.name) \(pod.exampleAddress ?? (try? lab.pod(pod.name).ipv4) ?? "?")" }
                narrator.say("  \(node)  \(plan.nodeAddresses[node]!)  (netns \(nodes[node]!.namespace))  pods: \(pods.joined(separator: ", "))")
            }
            narrator.say("  client  \(DemoPlan.clientAddress)  (outside the cluster)")
            try await hold?.wait("The namespaces are built (ip netns list | grep pxl-\(lab.id)-)")
            for pod in DemoPlan.pods where !pod.ports.isEmpty {
                let process = try await lab.serve(in: try lab.pod(pod.name), tcp: pod.ports)
                witness.recordProcess(process.pid)
            }
            narrator.say("Each pod runs a tiny server that answers with its name and the address it saw the connection come from.")

            let socket = directory + "/api.sock"
            try await FakeAPIServer.with(.init(listen: .unixSocket(socket))) { server in
                try await server.put(plan.objects)
                narrator.say("""
                    A fake API server (real HTTP list and watch) holds the example cluster: \
                    \(plan.files.map { URL(fileURLWithPath: $0).lastPathComponent }.joined(separator: ", ")) \
                    (\(count(plan.objects, .node)) Nodes, \(count(plan.objects, .service)) Services, \
                    \(count(plan.objects, .endpointSlice)) EndpointSlices).
                    """)
                let config = try writeConfiguration(in: directory)
                for host in nodes.values {
                    let forwarder = try await lab.forward(
                        in: host, listen: IPSocketAddress(ip: "127.0.0.1", port: apiPort), toUnixSocket: socket)
                    witness.recordProcess(forwarder.pid)
                }
                narrator.say("proxyd on each node, as the DaemonSet runs it: proxyd --config config.yaml --hostname-override <node>")
                var proxyds: [DemoPlan.Node: ProxydNode] = [:]
                for node in DemoPlan.Node.allCases {
                    let proxyd = try await ProxydNode.start(in: lab, host: nodes[node]!, node: node, proxyd: proxydPath, config: config)
                    witness.recordProcess(proxyd.process.pid)
                    proxyds[node] = proxyd
                }
                let cluster = DemoCluster(lab: lab, server: server, plan: plan, proxyds: proxyds)
                for node in DemoPlan.Node.allCases {
                    let synced = try await cluster.proxyd(node).waitForSync(after: 0, timeout: .seconds(60))
                    let health = try await cluster.get("/healthz", port: healthzPort, on: node)
                    guard health.status == 200 else {
                        throw DemoFailure("proxyd on \(node) synced but /healthz answers \(health.status): \(health.body)")
                    }
                    narrator.passed("\(node): \(synced); /healthz 200")
                }
                try await body(cluster)
                narrator.line()
                narrator.line("Cleaning up: stopping proxyd and the pods, deleting the namespaces…")
            }
        }
    }

    /// The example's addresses: its node network (192.168.49.0/24) on the bridge next to the lab's, and the pods'
    /// example addresses where the lab gave them another one (with the node's route to the pod's veth).
    private static func addExampleAddresses(lab: NetworkLab, plan: DemoPlan, nodes: [DemoPlan.Node: LabHost]) async throws {
        let prefix = DemoPlan.nodeNetworkPrefixLength
        for (node, host) in nodes {
            try await lab.exec(in: host, ["ip", "addr", "add", "\(plan.nodeAddresses[node]!)/\(prefix)", "dev", "eth0"]).requireSuccess()
        }
        try await lab.exec(in: lab.client, ["ip", "addr", "add", "\(DemoPlan.clientAddress)/\(prefix)", "dev", "eth0"]).requireSuccess()
        for node in DemoPlan.Node.allCases {
            for (index, pod) in DemoPlan.pods(on: node).enumerated() {
                let host = try lab.pod(pod.name)
                guard let address = pod.exampleAddress, address != host.ipv4 else { continue }
                try await lab.exec(in: host, ["ip", "addr", "add", "\(address)/32", "dev", "eth0"]).requireSuccess()
                try await lab.exec(in: nodes[node]!, [
                    "ip", "route", "add", "\(address)/32", "dev", LabTopology.podVethName(index: index + 1),
                ]).requireSuccess()
            }
        }
    }

    /// One KubeProxyConfiguration for both nodes, as a ConfigMap holds it, and the kubeconfig it names.
    private static func writeConfiguration(in directory: String) throws -> String {
        let kubeconfig = FakeAPIServer.kubeconfig(server: "http://127.0.0.1:\(apiPort)")
        let config = """
            apiVersion: kubeproxy.config.k8s.io/v1alpha1
            kind: KubeProxyConfiguration
            mode: nftables
            clientConnection:
              kubeconfig: \(directory)/kubeconfig
            clusterCIDR: \(LabTopology.clusterCIDRIPv4),\(LabTopology.clusterCIDRIPv6)
            healthzBindAddress: 0.0.0.0:\(healthzPort)
            metricsBindAddress: 127.0.0.1:\(metricsPort)
            # The conntrack table size is one setting for the whole machine, not per namespace: leave it alone.
            conntrack:
              maxPerCore: 0
              min: 0

            """
        try kubeconfig.write(toFile: directory + "/kubeconfig", atomically: true, encoding: .utf8)
        let path = directory + "/config.yaml"
        try config.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    private static func count(_ objects: [KubernetesObject], _ kind: ObjectKind) -> Int {
        objects.count { $0.kind == kind }
    }
}
