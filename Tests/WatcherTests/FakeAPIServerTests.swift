import Foundation
import ProxyTesting
import ServiceModel
import Testing
import Watcher

/// The fake API server's own semantics, which the watcher tests rely on.
@Suite("The fake API server")
struct FakeAPIServerTests {
    @Test func labelSelectorsEvaluateLikeTheAPIServer() throws {
        let selector = try #require(LabelSelector("!service.kubernetes.io/service-proxy-name,!service.kubernetes.io/headless"))
        #expect(selector.matches(nil))
        #expect(selector.matches(["app": "web"]))
        #expect(!selector.matches(["service.kubernetes.io/headless": ""]))
        let rich = try #require(LabelSelector("app in (web, api),tier!=db,env=prod,team"))
        #expect(rich.matches(["app": "api", "env": "prod", "team": "x"]))
        #expect(!rich.matches(["app": "api", "env": "prod", "team": "x", "tier": "db"]))
        #expect(!rich.matches(["app": "cache", "env": "prod", "team": "x"]))
        #expect(LabelSelector("app in web") == nil)
        let fields = try #require(FieldSelector("metadata.name=node-a"))
        #expect(fields.matches(.node(Fixtures.node("node-a"))))
        #expect(!fields.matches(.node(Fixtures.node("node-b"))))
        #expect(FieldSelector("spec.unschedulable=true") == nil)
    }

    func get(_ server: FakeAPIServer, _ path: String, _ query: [URLQueryItem]) async throws -> (APIResponse, Data) {
        let client = APIClient(configuration: APIServerConfiguration(server: server.url, origin: "test"), transport: URLSessionTransport(), qps: 0)
        defer { Task { await client.transport.shutdown() } }
        let response = try await client.get(path: path, query: query)
        return (response, try await response.collectBody())
    }

    @Test func pagesServeOneSnapshotEvenWhileObjectsChange() async throws {
        try await FakeAPIServer.with { server in
            try await server.put((0..<5).map { .service(Fixtures.service("default/svc-\($0)")) })
            let (_, first) = try await get(server, "/api/v1/services", [URLQueryItem(name: "limit", value: "2")])
            let page1 = try ListPage.decode(.service, fromJSON: first)
            #expect(page1.objects.map(\.metadata.name) == ["svc-0", "svc-1"])
            let token = try #require(page1.continueToken)
            try await server.delete([ObjectReference(kind: .service, key: ObjectKey(namespace: "default", name: "svc-3"))])
            try await server.put(.service(Fixtures.service("default/svc-9")))
            let (_, second) = try await get(server, "/api/v1/services", [URLQueryItem(name: "limit", value: "10"), URLQueryItem(name: "continue", value: token)])
            let page2 = try ListPage.decode(.service, fromJSON: second)
            #expect(page2.objects.map(\.metadata.name) == ["svc-2", "svc-3", "svc-4"])
            #expect(page2.resourceVersion == page1.resourceVersion)
            #expect(page2.continueToken == nil)
            // Once the history is compacted, an old continue token is refused with 410.
            await server.expireHistory()
            await #expect(throws: APIServerError.self) {
                _ = try await get(server, "/api/v1/services", [URLQueryItem(name: "limit", value: "2"), URLQueryItem(name: "continue", value: token)])
            }
        }
    }

    @Test func aWatchFromBeforeTheHistoryIsGone() async throws {
        try await FakeAPIServer.with(.init(historyLimit: 2)) { server in
            let old = try await server.put(.service(Fixtures.service("default/a")))
            for index in 0..<3 { try await server.put(.service(Fixtures.service("default/b\(index)"))) }
            let query = [URLQueryItem(name: "watch", value: "1"), URLQueryItem(name: "resourceVersion", value: "\(old)")]
            let (_, body) = try await get(server, "/api/v1/services", query)
            let event = try WatchEvent.decode(.service, fromJSON: body.dropLast())
            #expect(event.type == .error && event.status?.code == 410)
            await server.setGoneAsHTTPStatus(true)
            do {
                _ = try await get(server, "/api/v1/services", query)
                Issue.record("expected 410")
            } catch let error as APIServerError {
                #expect(error.code == .gone)
            }
        }
    }
}
