import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import NIOSSL
import ServiceModel

/// A real HTTP server that answers like the Kubernetes API server for the collections proxyd follows
/// (Services, EndpointSlices, Nodes): lists with pagination and selectors, chunked watch streams with bookmarks,
/// 410 Gone for versions older than its bounded history — and faults on demand.
///
/// Tests start it in-process (`FakeAPIServer.with`), change objects through `put` and `delete`, and inject
/// faults. It listens on 127.0.0.1 (a free port) or a Unix socket (`Listen.unixSocket`), which a lab namespace
/// reaches through `proxyd-lab forward`; optionally with TLS, requiring a client certificate, and/or a bearer
/// token.
public final class FakeAPIServer: Sendable {
    public enum Listen: Sendable {
        /// 127.0.0.1 on a free port.
        case loopback
        case unixSocket(String)
    }

    public struct TLS: Sendable {
        public var certificateFile: String
        public var privateKeyFile: String
        /// When set, clients must present a certificate signed by this CA.
        public var clientCAFile: String?

        public init(certificateFile: String, privateKeyFile: String, clientCAFile: String? = nil) {
            self.certificateFile = certificateFile
            self.privateKeyFile = privateKeyFile
            self.clientCAFile = clientCAFile
        }
    }

    public struct Options: Sendable {
        public var listen: Listen = .loopback
        public var tls: TLS?
        /// When set, every request needs `Authorization: Bearer` with one of these (changeable: `acceptTokens`).
        public var bearerTokens: Set<String>?
        /// How many changes the history keeps; a watch from before them gets 410 Gone.
        public var historyLimit = 1000

        public init(listen: Listen = .loopback, tls: TLS? = nil, bearerTokens: Set<String>? = nil, historyLimit: Int = 1000) {
            self.listen = listen
            self.tls = tls
            self.bearerTokens = bearerTokens
            self.historyLimit = historyLimit
        }
    }

    /// `http://127.0.0.1:PORT` or `https://…`; for a Unix socket, `http://localhost` (connect to `socketPath`).
    public let url: URL
    public let socketPath: String?
    let store: FakeClusterStore
    private let task: Task<Void, any Error>

    private init(url: URL, socketPath: String?, store: FakeClusterStore, task: Task<Void, any Error>) {
        self.url = url
        self.socketPath = socketPath
        self.store = store
        self.task = task
    }

    /// Starts a server and returns once it accepts connections.
    public static func start(_ options: Options = Options(), logger: Logger = Logger(label: "fake-apiserver")) async throws -> FakeAPIServer {
        let store = FakeClusterStore(historyLimit: options.historyLimit)
        await store.setAcceptedTokens(options.bearerTokens)
        let router = Router()
        for (kind, path) in [
            (ObjectKind.service, "/api/v1/services"), (.endpointSlice, "/apis/discovery.k8s.io/v1/endpointslices"),
            (.node, "/api/v1/nodes"),
        ] {
            router.get(RouterPath(path)) { request, _ -> Response in
                await FakeAPIHandler.handle(kind: kind, request: request, store: store)
            }
        }
        let address: BindAddress
        switch options.listen {
        case .loopback: address = .hostname("127.0.0.1", port: 0)
        case .unixSocket(let path):
            try? FileManager.default.removeItem(atPath: path)
            address = .unixDomainSocket(path: path)
        }
        let server: HTTPServerBuilder
        if let tls = options.tls {
            var configuration = TLSConfiguration.makeServerConfiguration(
                certificateChain: try NIOSSLCertificate.fromPEMFile(tls.certificateFile).map { .certificate($0) },
                privateKey: .privateKey(try NIOSSLPrivateKey(file: tls.privateKeyFile, format: .pem)))
            if let clientCA = tls.clientCAFile {
                configuration.certificateVerification = .noHostnameVerification
                configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(clientCA))
            }
            server = try .tls(.http1(), tlsConfiguration: configuration)
        } else {
            server = .http1()
        }
        // Cancelling the server at stop logs errors about its child channels; they are expected.
        var quiet = logger
        quiet.logLevel = .critical
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let app = Application(
            router: router, server: server, configuration: .init(address: address, serverName: "fake-apiserver"),
            onServerRunning: { channel in
                portContinuation.yield(channel.localAddress?.port ?? 0)
                portContinuation.finish()
            },
            logger: quiet)
        let task = Task { try await app.runService(gracefulShutdownSignals: []) }
        var port = 0
        for await value in ports { port = value }
        let scheme = options.tls == nil ? "http" : "https"
        let url: URL
        let socketPath: String?
        switch options.listen {
        case .loopback:
            guard port > 0 else {
                task.cancel()
                throw FakeAPIServerError("the fake API server did not start (no port)")
            }
            url = URL(string: "\(scheme)://127.0.0.1:\(port)")!
            socketPath = nil
        case .unixSocket(let path):
            url = URL(string: "\(scheme)://localhost")!
            socketPath = path
        }
        return FakeAPIServer(url: url, socketPath: socketPath, store: store, task: task)
    }

    /// Ends every watch, stops the server and waits for it.
    public func stop() async {
        await store.endWatches()
        task.cancel()
        _ = try? await task.value
        if let socketPath { try? FileManager.default.removeItem(atPath: socketPath) }
    }

    /// Runs `body` with a started server, and stops the server afterwards, also when `body` throws.
    public static func with<T: Sendable>(
        _ options: Options = Options(), _ body: (FakeAPIServer) async throws -> T
    ) async throws -> T {
        let server = try await start(options)
        do {
            let result = try await body(server)
            await server.stop()
            return result
        } catch {
            await server.stop()
            throw error
        }
    }

    // MARK: Objects

    /// Creates or updates objects, one resourceVersion each; returns the last version.
    @discardableResult
    public func put(_ objects: [KubernetesObject]) async throws -> Int { try await store.put(objects) }

    @discardableResult
    public func put(_ object: KubernetesObject) async throws -> Int { try await store.put([object]) }

    /// Stores `json` verbatim as the object `placeholder` names: lists serve these bytes and watches get them in
    /// an event (`ADDED` or `MODIFIED`). For input no encoder produces (syntax errors, deep nesting); the
    /// placeholder stands for it in selectors and `objects()`.
    @discardableResult
    public func putRaw(_ placeholder: KubernetesObject, json: Data) async -> Int { await store.putRaw(placeholder, json: json) }

    /// Deletes objects (missing ones are ignored); returns the last version.
    @discardableResult
    public func delete(_ references: [ObjectReference]) async throws -> Int { try await store.delete(references) }

    /// The server's objects now, as a client decodes them.
    public func objects() async -> [ObjectReference: KubernetesObject] { await store.current() }

    public var resourceVersion: Int { get async { await store.resourceVersion } }

    // MARK: Faults

    /// The next `count` requests are answered with `status` (500, 429, …), with `Retry-After` when given.
    public func failNextRequests(_ count: Int, status: Int = 500, retryAfterSeconds: Int? = nil) async {
        await store.injectFailure(.init(status: status, retryAfterSeconds: retryAfterSeconds, count: count))
    }

    /// Drops the injected failures not yet used.
    public func clearInjectedFailures() async { await store.clearFailures() }

    /// Every response waits this long before it starts (slow server).
    public func setResponseDelay(_ delay: Duration) async { await store.setResponseDelay(delay) }

    /// Cuts every open watch in the middle of an event (the connection breaks).
    public func cutWatches() async { await store.cutWatches() }

    /// Ends every open watch cleanly, as when its timeout runs out.
    public func endWatches() async { await store.endWatches() }

    /// Sends `ERROR` 410 Gone on every open watch and ends it.
    public func sendGoneToWatches() async { await store.sendGoneToWatches() }

    /// Forgets the change history: every watch from an older version now gets 410 Gone, paged lists expire.
    public func expireHistory() async { await store.expireHistory() }

    /// Answers a watch from a too-old version with HTTP 410 instead of an `ERROR` event (both happen in real clusters).
    public func setGoneAsHTTPStatus(_ value: Bool) async { await store.setGoneAsHTTPStatus(value) }

    /// Stalls every open watch: the connection stays open and nothing more is sent on it, not even bookmarks (a
    /// half-open TCP connection, a stuck load balancer). Later watches are served normally.
    public func stallWatches() async { await store.stallWatches() }

    /// Answers the next `count` watch requests with 410 Gone whatever their resourceVersion (as an `ERROR` event,
    /// or HTTP 410 with `setGoneAsHTTPStatus`), as an API server whose watch cache lags behind its lists does.
    public func answerWatchesWithGone(_ count: Int) async { await store.answerWatchesWithGone(count) }

    /// Sends a BOOKMARK to every watch that allows them.
    public func sendBookmarks() async { await store.sendBookmarks() }

    /// Replaces the accepted bearer tokens (nil: no token needed).
    public func acceptTokens(_ tokens: Set<String>?) async { await store.setAcceptedTokens(tokens) }

    // MARK: Observation

    public var activeWatchCount: Int { get async { await store.activeWatchCount } }

    /// Polls until at least `count` watches are open (clients have reconnected); false after `timeout`.
    public func waitForActiveWatches(_ count: Int, timeout: Duration = .seconds(10)) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if await store.activeWatchCount >= count { return true }
            try? await Task.sleep(for: .milliseconds(1))
        }
        return await store.activeWatchCount >= count
    }

    /// Waits (without polling) until `count` requests whose `GET path?query` line matches `predicate` have been
    /// received, counting those already logged; false after `timeout`.
    public func waitForRequests(
        _ count: Int, timeout: Duration = .seconds(30), matching predicate: @escaping @Sendable (String) -> Bool
    ) async -> Bool {
        await store.waitForRequests(count, matching: predicate, timeout: timeout)
    }

    public var listRequestCount: Int { get async { await store.listRequests } }
    public var watchRequestCount: Int { get async { await store.watchRequests } }
    /// `GET path?query` of recent requests, oldest first.
    public var requestLog: [String] { get async { await store.requestLog } }
}

/// A failure of the fake server itself (not an injected fault).
public struct FakeAPIServerError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
