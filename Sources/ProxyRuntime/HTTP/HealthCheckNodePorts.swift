import Foundation
import HTTPTypes
import Hummingbird
import Logging
import ServiceLifecycle
import ServiceModel

/// One HTTP server per externalTrafficPolicy Local LoadBalancer Service, on its `healthCheckNodePort`,
/// answering as kube-proxy does: kube-proxy's JSON, header `X-Load-Balancing-Endpoint-Weight: N`, 200 when the
/// node has N > 0 ready endpoints of the Service and the proxy is healthy, else 503. Servers open and close as
/// Services come and go.
///
/// Each port listens on the NodePort addresses of the served families (``ListenHosts/healthCheck``), as
/// kube-proxy's do; when those addresses change, every port listens anew. Connections count against the
/// daemon's ``ConnectionBudget`` and close when idle, like those of the other servers.
public actor HealthCheckNodePorts {
    private let status: ProxyStatus
    private let budget: ConnectionBudget
    private let logger: Logger
    /// One listener per port and host. Each runs as the only service of a group of its own, so closing it is a
    /// graceful shutdown: the listener closes, open probes finish, nothing is cancelled mid-write.
    private var servers: [UInt16: [(group: ServiceGroup, task: Task<Void, Never>)]] = [:]
    private var services: [UInt16: HealthCheckService] = [:]
    /// The hosts every port listens on.
    private var hosts: [String] = []

    public init(status: ProxyStatus, budget: ConnectionBudget, logger: Logger) {
        self.status = status
        self.budget = budget
        self.logger = logger
    }

    public static let weightHeader = HTTPField.Name("X-Load-Balancing-Endpoint-Weight")!

    /// Brings the set of servers to `wanted` on `hosts`: opens new ports, closes ports no Service uses any
    /// more, reopens every port when the hosts changed, and updates the endpoint counts the others report.
    public func reconcile(_ wanted: [HealthCheckService], hosts wantedHosts: [String]) {
        let wantedByPort = Dictionary(wanted.map { ($0.port, $0) }, uniquingKeysWith: { first, _ in first })
        if wantedHosts != hosts {
            if !servers.isEmpty {
                logger.info("health-check node ports move to new addresses", metadata: ["addresses": "\(wantedHosts.joined(separator: ","))"])
            }
            for port in servers.keys { close(port) }
            hosts = wantedHosts
        }
        for port in servers.keys where wantedByPort[port] == nil {
            close(port)
            logger.info("closed health-check node port", metadata: ["port": "\(port)"])
        }
        services = wantedByPort
        for port in wantedByPort.keys.sorted() where servers[port] == nil {
            let service = wantedByPort[port]!.service
            if hosts.isEmpty {
                logger.warning("health-check node port \(port) of Service \(service) has no address to listen on: this node serves NodePorts on none")
            }
            logger.info(
                "opening health-check node port",
                metadata: ["port": "\(port)", "service": "\(service)", "addresses": "\(hosts.joined(separator: ","))"])
            servers[port] = hosts.map { start(port, host: $0) }
        }
    }

    public func service(on port: UInt16) -> HealthCheckService? { services[port] }

    /// Stops every server and waits until they are closed.
    public func stopAll() async {
        let stopping = servers.values.flatMap { $0 }
        servers = [:]
        for server in stopping { await server.group.triggerGracefulShutdown() }
        for server in stopping { await server.task.value }
    }

    private func close(_ port: UInt16) {
        for server in servers.removeValue(forKey: port) ?? [] {
            Task { await server.group.triggerGracefulShutdown() }
        }
    }

    private func start(_ port: UInt16, host: String) -> (group: ServiceGroup, task: Task<Void, Never>) {
        let router = Router()
        // Load balancers probe any path (kube-proxy answers them all).
        let handler: @Sendable (Request, BasicRequestContext) async throws -> Response = { [weak self] _, _ in
            guard let self, let service = await self.service(on: port) else {
                return Response(status: .serviceUnavailable)
            }
            let healthy = await self.status.health().healthy
            let count = service.localEndpoints
            let body = HealthResponses.serviceHealth(service.service, localEndpoints: count, proxyHealthy: healthy)
            var headers: HTTPFields = [.contentType: "application/json"]
            headers[HealthCheckNodePorts.weightHeader] = String(count)
            return Response(
                status: count > 0 && healthy ? .ok : .serviceUnavailable, headers: headers,
                body: .init(byteBuffer: ByteBuffer(string: body)))
        }
        router.get("/", use: handler)
        router.get("**", use: handler)
        var quiet = logger
        quiet.logLevel = .warning
        let app = Application(
            router: router, server: ProxyHTTPServers.server(budget: budget),
            configuration: .init(address: .hostname(host, port: Int(port))), logger: quiet)
        let group = ServiceGroup(configuration: .init(services: [app], logger: quiet))
        let logger = self.logger
        let address = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        let task = Task {
            do {
                try await group.run()
            } catch {
                logger.error("cannot serve health-check node port \(port) on \(address): \(error)")
            }
        }
        return (group, task)
    }
}
