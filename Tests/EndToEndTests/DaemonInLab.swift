import Foundation
import Synchronization
import ProxyTesting
import ServiceModel
import Testing

/// proxyd run the way a DaemonSet runs it — `proxyd --config config.yaml`, a long-running process — inside a
/// lab's node namespace, following the fake API server.
///
/// The fake API server listens on a Unix socket in the test process; `proxyd-lab forward` inside the node
/// namespace makes it `http://127.0.0.1:6443` there (the file system is shared across network namespaces).
/// Every pod answers with its name on TCP 8080 and echoes on TCP 9000.
final class DaemonInLab: Sendable {
    static let apiPort: UInt16 = 6443
    static let healthzPort: UInt16 = 10256
    static let metricsPort: UInt16 = 10249

    let lab: NetworkLab
    let server: FakeAPIServer
    let directory: String
    let socketPath: String
    let mode: ScenarioMode
    private let forwarder = Mutex<LabProcess?>(nil)

    private init(lab: NetworkLab, server: FakeAPIServer, directory: String, socketPath: String, mode: ScenarioMode) {
        self.lab = lab
        self.server = server
        self.directory = directory
        self.socketPath = socketPath
        self.mode = mode
    }

    var configPath: String { directory + "/config.yaml" }

    /// Builds the lab, starts the pods' servers, the fake API server (holding the lab's Nodes), the forwarder
    /// and proxyd; runs `body`; tears everything down on every exit path.
    ///
    /// - Parameters:
    ///   - spec: the lab (`ServiceScenario.labSpec`, or e.g. the same with an IPv4-only node).
    ///   - nodes: the Node objects the API server holds.
    ///   - mode: the backend proxyd runs.
    static func with(
        spec: LabSpec = ServiceScenario.labSpec, nodes: [KubernetesObject] = ScenarioAddresses(.ipv4).nodes,
        mode: ScenarioMode = .nftables, _ body: (DaemonInLab, LabProcess) async throws -> Void
    ) async throws {
        try await prepared(spec: spec, nodes: nodes, mode: mode) { run in
            let proxyd = try await run.startProxyd()
            try await body(run, proxyd)
        }
    }

    /// Like ``with(spec:nodes:mode:_:)`` but without starting proxyd: the body starts it when and as it needs.
    static func prepared(
        spec: LabSpec = ServiceScenario.labSpec, nodes: [KubernetesObject] = ScenarioAddresses(.ipv4).nodes,
        mode: ScenarioMode = .nftables, _ body: (DaemonInLab) async throws -> Void
    ) async throws {
        let directory = NSTemporaryDirectory() + "pxe-" + String(UUID().uuidString.prefix(8))
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let socketPath = directory + "/api.sock"
        try await NetworkLab.with(spec) { lab in
            let tool = try LabBinaries.path(of: "proxyd-lab")
            for pod in lab.pods + lab.remotePods {
                _ = try await lab.start(
                    in: pod, [tool, "serve", "--name", pod.name, "--tcp", "8080", "--tcp-echo", "9000"], readyLine: "ready")
            }
            try await FakeAPIServer.with(.init(listen: .unixSocket(socketPath))) { server in
                try await server.put(nodes)
                let run = DaemonInLab(lab: lab, server: server, directory: directory, socketPath: socketPath, mode: mode)
                try await run.startForwarder()
                try run.writeConfiguration()
                try await body(run)
            }
        }
    }

    /// `proxyd-lab forward` in the node: the API server at 127.0.0.1:6443 there.
    func startForwarder() async throws {
        let process = try await lab.forward(
            in: lab.node, listen: IPSocketAddress(ip: "127.0.0.1", port: Self.apiPort),
            toUnixSocket: socketPath)
        forwarder.withLock { $0 = process }
    }

    /// The API server becomes unreachable from the node: new connections are refused, open ones end.
    func stopForwarder() async {
        guard let process = forwarder.withLock({ $0.take() }) else { return }
        await lab.stop(process)
    }

    /// A kubeconfig for the forwarded API server and a KubeProxyConfiguration naming it, as a ConfigMap holds it.
    func writeConfiguration() throws {
        let kubeconfig = FakeAPIServer.kubeconfig(server: "http://127.0.0.1:\(Self.apiPort)", token: "lab-token")
        let config = """
            apiVersion: kubeproxy.config.k8s.io/v1alpha1
            kind: KubeProxyConfiguration
            clientConnection:
              kubeconfig: \(directory)/kubeconfig
            hostnameOverride: \(ServiceScenario.nodeName)
            mode: \(mode)
            clusterCIDR: \(LabTopology.clusterCIDRIPv4),\(LabTopology.clusterCIDRIPv6)
            healthzBindAddress: 0.0.0.0:\(Self.healthzPort)
            metricsBindAddress: 127.0.0.1:\(Self.metricsPort)
            \(mode):
              minSyncPeriod: 100ms
              syncPeriod: 30s
            conntrack:
              maxPerCore: 0
              min: 0
            """
        try kubeconfig.write(toFile: directory + "/kubeconfig", atomically: true, encoding: .utf8)
        try config.write(toFile: configPath, atomically: true, encoding: .utf8)
    }

    /// Starts `proxyd --config` in the node, without waiting for anything.
    func launchProxyd() async throws -> LabProcess {
        try await lab.start(in: lab.node, [try LabBinaries.path(of: "proxyd"), "--config", configPath, "--v", "2"])
    }

    /// Starts `proxyd --config` in the node and waits until its first sync is in the kernel (`/healthz` 200).
    func startProxyd() async throws -> LabProcess {
        let proxyd = try await launchProxyd()
        try await eventually("proxyd's /healthz answers 200 after its first sync", process: proxyd) {
            try await self.http("http://127.0.0.1:\(Self.healthzPort)/healthz").status == 200
        }
        return proxyd
    }

    /// An HTTP GET from inside the lab (the node by default) with curl: status, headers, body; status 0 when
    /// nothing answered.
    func http(_ url: String, from host: LabHost? = nil) async throws -> HTTPReply {
        let result = try await lab.exec(in: host ?? lab.node, ["curl", "-s", "-i", "--max-time", "2", url])
        guard result.succeeded else { return HTTPReply(status: 0, headers: [:], body: "") }
        return HTTPReply(curlOutput: result.stdout)
    }

    /// Polls `condition` until it holds or `timeout` passes (kernel state after a sync posts no event a test
    /// could await; the deadline is for failures only).
    func eventually(
        _ what: String, timeout: Duration = .seconds(30), process: LabProcess? = nil,
        sourceLocation: SourceLocation = #_sourceLocation, _ condition: () async throws -> Bool
    ) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        let log = process.map { "\nproxyd's stderr:\n\($0.standardError)" } ?? ""
        Issue.record("not within \(timeout): \(what)\(log)", sourceLocation: sourceLocation)
        throw DaemonInLabError(message: what)
    }

    /// Names of the pods answering `count` fresh connections from the client.
    func answering(_ address: String, port: UInt16 = 80, count: Int = 12) async throws -> [String?] {
        try await lab.connectAttempts(from: lab.client, to: IPAddress(address)!, port: port, count: count)
            .map { $0.outcome.replyName }
    }

    func outcome(_ address: String, port: UInt16 = 80) async throws -> ConnectionOutcome {
        try await lab.connect(from: lab.client, to: IPAddress(address)!, port: port)
    }
}

struct DaemonInLabError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
