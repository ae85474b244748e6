import Foundation
import ProxyTesting
import ServiceModel
import Testing
import Watcher

/// `proxyd --kubeconfig K --once` against the fake API server programs exactly the rules `--objects` programs
/// for the same objects: the API server source is a drop-in for files.
@Suite("proxyd following an API server", .requiresRoot)
struct APIServerOnceTests {
    static let examples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("examples").path

    func listing(_ lab: NetworkLab) async throws -> String {
        let v4 = try await lab.exec(in: lab.node, ["nft", "list", "table", "ip", "proxyd"]).requireSuccess().stdout
        let v6 = try await lab.exec(in: lab.node, ["nft", "list", "table", "ip6", "proxyd"]).requireSuccess().stdout
        return NftablesListing.normalized(v4) + "\n" + NftablesListing.normalized(v6)
    }

    @Test func onceFromTheAPIServerProgramsTheSameRulesAsFromFiles() async throws {
        let contents = FileSource(path: Self.examples).load()
        #expect(contents.isValid, "\(contents.errors)")
        // Objects the two paths drop in different places: the API server's selectors versus the model.
        let extras: [KubernetesObject] = [
            .node(Fixtures.node("node-b", addresses: ["192.168.49.3"])),
            .service(Fixtures.service("default/headless-labelled", clusterIP: "10.96.99.1") {
                $0.metadata.labels = [WatchedResource.headlessLabel: ""]
            }),
            .service(Fixtures.service("default/other-proxy", clusterIP: "10.96.99.2") {
                $0.metadata.labels = [WatchedResource.serviceProxyNameLabel: "someone-else"]
            }),
        ]
        let objects = Array(contents.objects.values) + extras
        let directory = NSTemporaryDirectory() + "proxyd-once-" + UUID().uuidString
        try ScenarioRunner.writeObjects(objects, to: directory)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let socket = "/tmp/proxyd-api-\(UUID().uuidString.prefix(8)).sock"
        let proxyd = try LabBinaries.path(of: "proxyd")
        let flags = ["--hostname-override", "node-a", "--cluster-cidr", "10.244.0.0/16,fd00:10:244::/56", "--once"]

        try await FakeAPIServer.with(.init(listen: .unixSocket(socket), bearerTokens: ["lab-token"])) { server in
            try await server.put(objects)
            try await NetworkLab.with(LabSpec(pods: [])) { lab in
                _ = try await lab.exec(in: lab.node, [proxyd, "--objects", directory] + flags).requireSuccess()
                let fromFiles = try await listing(lab)
                _ = try await lab.exec(in: lab.node, [proxyd, "--cleanup"]).requireSuccess()
                #expect(try await lab.exec(in: lab.node, ["nft", "list", "table", "ip", "proxyd"]).succeeded == false)

                // The node reaches the API server (a Unix socket of this process) on its own loopback.
                try await lab.forward(in: lab.node, listen: IPSocketAddress("127.0.0.1:6443")!, toUnixSocket: socket)
                let kubeconfig = NSTemporaryDirectory() + "proxyd-kubeconfig-\(UUID().uuidString)"
                try FakeAPIServer.kubeconfig(server: "http://127.0.0.1:6443", token: "lab-token")
                    .write(toFile: kubeconfig, atomically: true, encoding: .utf8)
                defer { try? FileManager.default.removeItem(atPath: kubeconfig) }
                let run = try await lab.exec(in: lab.node, [proxyd, "--kubeconfig", kubeconfig] + flags).requireSuccess()
                #expect(run.stderr.contains("over urlsession"), "\(run.stderr)")
                let fromAPIServer = try await listing(lab)

                #expect(fromAPIServer == fromFiles)
                #expect(fromFiles.contains("10.96.10.20"))
                #expect(!fromFiles.contains("10.96.99."))
                #expect(await server.requestLog.contains { $0.hasPrefix("GET /api/v1/nodes?") })
            }
        }
    }

    @Test func objectsAndAnAPIServerTogetherAreRefused() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try LabBinaries.path(of: "proxyd"))
        process.arguments = ["--objects", Self.examples, "--kubeconfig", "/etc/proxyd/kubeconfig", "--dry-run"]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus != 0)
        #expect(message.contains("--objects reads objects from files, --kubeconfig and --master from an API server; pick one"), "\(message)")
    }

    /// The daemon follows the cluster: a Service added on the API server appears in the kernel, a deleted one goes.
    @Test func daemonFollowsChangesOnTheAPIServer() async throws {
        let socket = "/tmp/proxyd-api-\(UUID().uuidString.prefix(8)).sock"
        let kubeconfig = NSTemporaryDirectory() + "proxyd-kubeconfig-\(UUID().uuidString)"
        try FakeAPIServer.kubeconfig(server: "http://127.0.0.1:6443")
            .write(toFile: kubeconfig, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: kubeconfig) }
        let web = KubernetesObject.service(Fixtures.service("default/web", clusterIP: "10.96.0.10"))
        try await FakeAPIServer.with(.init(listen: .unixSocket(socket))) { server in
            try await server.put([
                .node(Fixtures.node("node-a", addresses: ["172.18.0.2"])), web,
                .endpointSlice(Fixtures.slice("default/web-1", service: "web", endpoints: [.ready("10.244.0.11", node: "node-a")])),
            ])
            try await NetworkLab.with(LabSpec(pods: [])) { lab in
                try await lab.forward(in: lab.node, listen: IPSocketAddress("127.0.0.1:6443")!, toUnixSocket: socket)
                let daemon = try await lab.start(in: lab.node, [
                    try LabBinaries.path(of: "proxyd"), "--kubeconfig", kubeconfig, "--hostname-override", "node-a",
                    "--cluster-cidr", "10.244.0.0/16", "--healthz-bind-address", "127.0.0.1:0", "--metrics-bind-address", "127.0.0.1:0",
                    "--min-sync-period", "100ms",
                ])
                func serviceIPs() async throws -> String {
                    try await lab.exec(in: lab.node, ["nft", "list", "map", "ip", "proxyd", "service-ips"]).stdout
                }
                #expect(try await poll { try await serviceIPs().contains("10.96.0.10") }, "\(daemon.standardError)")
                // A Service and its slice arrive in two batches (two watches), often while a sync is applying:
                // neither may be lost.
                for round in 1...5 {
                    try await server.put([
                        .service(Fixtures.service("default/api-\(round)", clusterIP: "10.96.0.\(10 + round)")),
                        .endpointSlice(Fixtures.slice("default/api-\(round)-1", service: "api-\(round)", endpoints: [.ready("10.244.0.12", node: "node-a")])),
                    ])
                    let added = try await poll { try await serviceIPs().contains("10.96.0.\(10 + round) ") }
                    let requests = await server.requestLog
                    #expect(added, "round \(round): \(daemon.standardError)\n\(requests.joined(separator: "\n"))")
                }
                try await server.delete([web.reference])
                #expect(try await poll { try await !serviceIPs().contains("10.96.0.10") }, "\(daemon.standardError)")
                await lab.stop(daemon)
            }
        }
    }

    /// Polls `condition` until it holds or `timeout` passes.
    func poll(timeout: Duration = .seconds(20), _ condition: () async throws -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(100))
        }
        return try await condition()
    }
}
