import Foundation
import Logging
import ProxyTesting
import ServiceModel
import Testing
import Watcher

/// The API server source against the fake API server over real HTTP on loopback.
@Suite("Following the API server")
struct APIServerSourceTests {
    static func plainClient(_ server: FakeAPIServer, qps: Double = 0, transport: APITransportKind = .auto) throws -> APIClient {
        let configuration = APIServerConfiguration(server: server.url, origin: "test")
        return try APIClient.make(configuration: configuration, transport: transport, qps: qps, burst: 10, logger: Self.quiet)
    }

    static let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    static func service(_ name: String, ip: Int = 10, labels: [String: String]? = nil, port: Int = 80) -> KubernetesObject {
        .service(Fixtures.service("default/\(name)", clusterIP: "10.96.\(ip / 250).\(ip % 250 + 1)", ports: [.tcp(port)]) { service in
            service.metadata.labels = labels
        })
    }

    static func slice(_ name: String, service: String, address: String = "10.244.0.5") -> KubernetesObject {
        .endpointSlice(Fixtures.slice("default/\(name)", service: service, endpoints: [.ready(address, node: "node-a")]))
    }

    /// The objects a node proxy for node-a should see of `all`: no other Node, no labelled-away Service.
    static func visible(_ all: [ObjectReference: KubernetesObject]) -> [ObjectReference: KubernetesObject] {
        all.filter { reference, object in
            if reference.kind == .node { return reference.key.name == "node-a" }
            let labels = object.metadata.labels ?? [:]
            return labels[WatchedResource.serviceProxyNameLabel] == nil && labels[WatchedResource.headlessLabel] == nil
        }
    }

    @Test func listsEverythingThenSyncsOnceThenFollowsChanges() async throws {
        try await FakeAPIServer.with { server in
            try await server.put([
                .node(Fixtures.node("node-a")), .node(Fixtures.node("node-b")),
                Self.service("web"), Self.slice("web-abc", service: "web"),
                Self.service("elsewhere", ip: 11, labels: [WatchedResource.serviceProxyNameLabel: "other-proxy"]),
                Self.service("headless", ip: 12, labels: [WatchedResource.headlessLabel: ""]),
            ])
            try await SourceRun.with(client: try Self.plainClient(server)) { mirror in
                #expect(await mirror.wait { $0.syncedCount == 1 })
                let state = await mirror.state
                // Synced arrived after the complete initial state: node-a, web and its slice.
                #expect(state.objectsAtSync == 3)
                #expect(state.objects == Self.visible(await server.objects()))
                #expect(Set(state.objects.keys.map(\.description)) == ["Node node-a", "Service default/web", "EndpointSlice default/web-abc"])

                try await server.put(Self.service("web", port: 8080))
                try await server.put(Self.service("api", ip: 20))
                try await server.delete([ObjectReference(kind: .endpointSlice, key: ObjectKey(namespace: "default", name: "web-abc"))])
                // A Service that gains the headless label leaves the selector: a deletion for this watch.
                try await server.put(Self.service("api", ip: 20, labels: [WatchedResource.headlessLabel: ""]))
                let expected = Self.visible(await server.objects())
                #expect(await mirror.waitForEquality(with: expected))
                #expect(await mirror.state.deletions.map(\.description).sorted() == ["EndpointSlice default/web-abc", "Service default/api"])
                let log = await server.requestLog
                #expect(log.contains { $0.hasPrefix("GET /api/v1/services?") && $0.contains("labelSelector=!service.kubernetes.io/service-proxy-name,!service.kubernetes.io/headless") })
                #expect(log.contains { $0.hasPrefix("GET /api/v1/nodes?") && $0.contains("fieldSelector=metadata.name%3Dnode-a") || $0.contains("fieldSelector=metadata.name=node-a") })
                #expect(log.contains { $0.contains("watch=1") && $0.contains("allowWatchBookmarks=true") && $0.contains("timeoutSeconds=") })
            }
        }
    }

    @Test func paginatesTenThousandServices() async throws {
        try await FakeAPIServer.with { server in
            try await server.put((0..<10_000).map { Self.service("svc-\($0)", ip: $0) } + [.node(Fixtures.node("node-a"))])
            try await SourceRun.with(client: try Self.plainClient(server)) { mirror in
                #expect(await mirror.wait(timeout: .seconds(120)) { $0.syncedCount == 1 })
                #expect(await mirror.state.objectsAtSync == 10_001)
                #expect(await mirror.state.objects == (await server.objects()))
                let servicePages = await server.requestLog.filter { $0.hasPrefix("GET /api/v1/services?") && $0.contains("limit=500") }
                #expect(servicePages.count == 20)
                #expect(servicePages.filter { $0.contains("continue=") }.count == 19)
            }
        }
    }

    @Test(arguments: [false, true])
    func relistsAfterGoneMidWatch(goneAsHTTPStatus: Bool) async throws {
        try await FakeAPIServer.with(.init(historyLimit: 5)) { server in
            await server.setGoneAsHTTPStatus(goneAsHTTPStatus)
            try await server.put([.node(Fixtures.node("node-a"))] + (0..<4).map { Self.service("svc-\($0)", ip: $0) })
            try await SourceRun.with(client: try Self.plainClient(server)) { mirror in
                #expect(await mirror.wait { $0.syncedCount == 1 })
                let listsBefore = await server.listRequestCount
                // The watch breaks, and by the time it is back, the history has moved on past its version.
                await server.cutWatches()
                try await server.put((4..<20).map { Self.service("svc-\($0)", ip: $0) })
                await server.expireHistory()
                await server.sendGoneToWatches()
                #expect(await mirror.waitForEquality(with: await server.objects()))
                #expect(await server.listRequestCount > listsBefore)
            }
        }
    }

    @Test func objectsDeletedWhileDisconnectedBecomeDeletions() async throws {
        try await FakeAPIServer.with { server in
            try await server.put([.node(Fixtures.node("node-a"))] + (0..<6).map { Self.service("svc-\($0)", ip: $0) } + [Self.slice("svc-0-x", service: "svc-0")])
            try await SourceRun.with(client: try Self.plainClient(server)) { mirror in
                #expect(await mirror.wait { $0.syncedCount == 1 })
                // Disconnected: every request fails while objects are deleted and the history is lost.
                await server.failNextRequests(1_000_000, status: 503)
                await server.cutWatches()
                try await server.delete([
                    ObjectReference(kind: .service, key: ObjectKey(namespace: "default", name: "svc-1")),
                    ObjectReference(kind: .service, key: ObjectKey(namespace: "default", name: "svc-4")),
                    ObjectReference(kind: .endpointSlice, key: ObjectKey(namespace: "default", name: "svc-0-x")),
                ])
                await server.expireHistory()
                await server.clearInjectedFailures()
                #expect(await mirror.waitForEquality(with: await server.objects()))
                #expect(Set(await mirror.state.deletions.map(\.description)) == ["Service default/svc-1", "Service default/svc-4", "EndpointSlice default/svc-0-x"])
            }
        }
    }

    @Test func noUpdateIsLostAcrossHundredsOfInjectedFaults() async throws {
        var random = SplitMix64(seed: 0x5eed_4)
        try await FakeAPIServer.with(.init(historyLimit: 40)) { server in
            try await server.put([.node(Fixtures.node("node-a")), .node(Fixtures.node("node-b"))])
            try await SourceRun.with(client: try Self.plainClient(server)) { mirror in
                #expect(await mirror.wait { $0.syncedCount == 1 })
                var faults = 0
                for step in 0..<600 {
                    // A change: add, update (new port, or into and out of the label selector) or delete.
                    let name = "svc-\(random.next() % 40)"
                    switch random.next() % 6 {
                    case 0:
                        try await server.delete([ObjectReference(kind: .service, key: ObjectKey(namespace: "default", name: name))])
                    case 1:
                        try await server.delete([ObjectReference(kind: .endpointSlice, key: ObjectKey(namespace: "default", name: name + "-x"))])
                    case 2:
                        try await server.put(Self.slice(name + "-x", service: name, address: "10.244.0.\(random.next() % 200 + 1)"))
                    case 3:
                        try await server.put(Self.service(name, ip: Int(random.next() % 200), labels: random.next() % 4 == 0 ? [WatchedResource.headlessLabel: ""] : nil))
                    default:
                        try await server.put(Self.service(name, ip: Int(random.next() % 200), port: Int(80 + random.next() % 5)))
                    }
                    // Half the time, the fault hits a client that is connected again (all three watches open);
                    // otherwise it may land while the client is still reconnecting.
                    if random.next() % 2 == 0 {
                        #expect(await server.waitForActiveWatches(3), "the client did not reconnect at step \(step)")
                    }
                    // A fault, about every other change.
                    switch random.next() % 12 {
                    case 0: await server.cutWatches()
                    case 1: await server.endWatches()
                    case 2: await server.sendGoneToWatches()
                    case 3: await server.expireHistory()
                    case 4: await server.failNextRequests(Int(1 + random.next() % 3), status: 500)
                    case 5: await server.failNextRequests(1, status: 429, retryAfterSeconds: 0)
                    case 6: await server.sendBookmarks()
                    default: faults -= 1
                    }
                    faults += 1
                    // Now and then let the client catch up fully, so faults also hit a quiet, synced client.
                    if step % 100 == 99 {
                        #expect(await mirror.waitForEquality(with: Self.visible(await server.objects())), "after step \(step)")
                    } else if random.next() % 3 == 0 {
                        await Task.yield()
                    }
                }
                #expect(faults >= 200)
                #expect(await mirror.waitForEquality(with: Self.visible(await server.objects())))
                // The faults did bite: the client reconnected and relisted many times.
                let (watches, lists) = (await server.watchRequestCount, await server.listRequestCount)
                #expect(watches > 100, "\(watches) watches, \(lists) lists")
                #expect(lists > 30, "\(watches) watches, \(lists) lists")
            }
        }
    }

    @Test func bookmarksLetAWatchResumeWithoutRelisting() async throws {
        try await FakeAPIServer.with { server in
            try await server.put([.node(Fixtures.node("node-a")), Self.service("web")])
            try await SourceRun.with(client: try Self.plainClient(server)) { mirror in
                #expect(await mirror.waitForEquality(with: Self.visible(await server.objects())))
                #expect(await server.waitForActiveWatches(3))
                // Changes none of the watches sees (another node) move the version on; a bookmark tells the
                // watches the new version, so after the history is gone they resume from it without a 410.
                for address in 1...5 { try await server.put(.node(Fixtures.node("node-b", addresses: ["192.168.1.\(address)"]))) }
                let lists = await server.listRequestCount
                await server.sendBookmarks()
                await server.expireHistory()
                await server.endWatches()
                #expect(await server.waitForActiveWatches(3))
                #expect(await server.listRequestCount == lists)
                try await server.put(Self.service("api", ip: 3))
                #expect(await mirror.waitForEquality(with: Self.visible(await server.objects())))
            }
        }
    }

    @Test func honoursRetryAfter() async throws {
        try await FakeAPIServer.with { server in
            try await server.put([.node(Fixtures.node("node-a")), Self.service("web")])
            await server.failNextRequests(1, status: 429, retryAfterSeconds: 1)
            let warnings = LockedStrings()
            let logger = Logger(label: "test") { _ in
                CapturingLogHandler { level, message in if level == .warning { warnings.append(message) } }
            }
            try await SourceRun.with(client: try Self.plainClient(server), logger: logger) { mirror in
                #expect(await mirror.wait { $0.syncedCount == 1 })
                // The retry waited for the server's Retry-After, not the (millisecond) backoff.
                #expect(warnings.values.contains { $0.contains("HTTP 429") && $0.contains("retrying in 1.0 seconds") }, "\(warnings.values)")
            }
        }
    }

    @Test func slowResponsesStillSync() async throws {
        try await FakeAPIServer.with { server in
            try await server.put([.node(Fixtures.node("node-a")), Self.service("web")])
            await server.setResponseDelay(.milliseconds(300))
            try await SourceRun.with(client: try Self.plainClient(server)) { mirror in
                #expect(await mirror.waitForEquality(with: await server.objects()))
                try await server.put(Self.service("web", port: 81))
                #expect(await mirror.waitForEquality(with: await server.objects()))
            }
        }
    }

    @Test func rotatedServiceAccountTokenIsReReadForEveryRequest() async throws {
        let directory = try TemporaryDirectory()
        let tokenFile = try directory.write("token", "token-one\n")
        try await FakeAPIServer.with(.init(bearerTokens: ["token-one"])) { server in
            try await server.put([.node(Fixtures.node("node-a")), Self.service("web")])
            let configuration = APIServerConfiguration(server: server.url, credentials: .tokenFile(tokenFile), origin: "test")
            let client = try APIClient.make(configuration: configuration, qps: 0, logger: Self.quiet)
            #expect(client.transport.kind == .urlSession)
            try await SourceRun.with(client: client) { mirror in
                #expect(await mirror.waitForEquality(with: await server.objects()))
                // The token rotates: the server accepts only the new one, and the file now holds it.
                await server.acceptTokens(["token-two"])
                try directory.write("token", "token-two\n")
                await server.cutWatches()
                try await server.put(Self.service("api", ip: 30))
                #expect(await mirror.waitForEquality(with: await server.objects()))
            }
        }
    }

    @Test func urlSessionWithBearerTokenOverPlainHTTP() async throws {
        try await FakeAPIServer.with(.init(bearerTokens: ["s3cret"])) { server in
            try await server.put([.node(Fixtures.node("node-a")), Self.service("web"), Self.slice("web-1", service: "web")])
            let configuration = APIServerConfiguration(server: server.url, credentials: .token("s3cret"), origin: "test")
            let client = try APIClient.make(configuration: configuration, transport: .urlSession, qps: 0, logger: Self.quiet)
            #expect(client.transport.kind == .urlSession)
            try await SourceRun.with(client: client) { mirror in
                #expect(await mirror.waitForEquality(with: await server.objects()))
                try await server.put(Self.slice("web-1", service: "web", address: "10.244.0.99"))
                #expect(await mirror.waitForEquality(with: await server.objects()))
            }
        }
    }

    @Test func wrongTokenNeverSyncs() async throws {
        try await FakeAPIServer.with(.init(bearerTokens: ["right"])) { server in
            let configuration = APIServerConfiguration(server: server.url, credentials: .token("wrong"), origin: "test")
            let client = try APIClient.make(configuration: configuration, qps: 0, logger: Self.quiet)
            var settings = SourceRun.testSettings()
            settings.backoff = Backoff(initial: .milliseconds(50), maximum: .milliseconds(100))
            let source = APIServerSource(client: client, nodeName: "node-a", settings: settings, logger: Self.quiet)
            await #expect(throws: InitialClusterState.TimedOut.self) {
                _ = try await InitialClusterState.load(from: source, timeout: .seconds(1))
            }
            await client.transport.shutdown()
            #expect(await server.requestLog.count >= 2)
        }
    }

    @Test func tlsWithCertificateAuthorityAndClientCertificateUsesAsyncHTTPClient() async throws {
        let pki = try await TestCertificates.generate()
        defer { pki.remove() }
        let tls = FakeAPIServer.TLS(certificateFile: pki.serverCertificateFile, privateKeyFile: pki.serverKeyFile, clientCAFile: pki.caFile)
        try await FakeAPIServer.with(.init(tls: tls)) { server in
            try await server.put([.node(Fixtures.node("node-a")), Self.service("web")])
            let directory = try TemporaryDirectory()
            let kubeconfig = try directory.write("kubeconfig", """
                apiVersion: v1
                kind: Config
                current-context: lab
                clusters:
                - name: lab
                  cluster: {server: "\(server.url.absoluteString)", certificate-authority: \(pki.caFile)}
                contexts:
                - name: lab
                  context: {cluster: lab, user: proxy}
                users:
                - name: proxy
                  user: {client-certificate: \(pki.clientCertificateFile), client-key: \(pki.clientKeyFile)}
                """)
            let configuration = try KubeConfig.load(path: kubeconfig)
            let client = try APIClient.make(configuration: configuration, qps: 0, logger: Self.quiet)
            #expect(client.transport.kind == .asyncHTTPClient)
            try await SourceRun.with(client: client) { mirror in
                #expect(await mirror.waitForEquality(with: await server.objects()))
                await server.cutWatches()
                try await server.put(Self.service("api", ip: 9))
                #expect(await mirror.waitForEquality(with: await server.objects()))
            }

            // Without the client certificate the server refuses the handshake: never synced.
            var anonymous = configuration
            anonymous.tls.clientCertificatePEM = nil
            anonymous.tls.clientKeyPEM = nil
            let refused = try APIClient.make(configuration: anonymous, qps: 0, logger: Self.quiet)
            let source = APIServerSource(client: refused, nodeName: "node-a", settings: SourceRun.testSettings(), logger: Self.quiet)
            await #expect(throws: InitialClusterState.TimedOut.self) {
                _ = try await InitialClusterState.load(from: source, timeout: .seconds(2))
            }
            await refused.transport.shutdown()
        }
    }
}
