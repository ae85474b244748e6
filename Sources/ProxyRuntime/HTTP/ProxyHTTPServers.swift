import Backends
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import ServiceModel

/// The two fixed HTTP servers kube-proxy has: health on `--healthz-bind-address` and metrics on
/// `--metrics-bind-address`. Read-only.
public enum ProxyHTTPServers {
    /// `/healthz` and `/livez` with kube-proxy's JSON and status codes.
    public static func healthRoutes(_ router: Router<BasicRequestContext>, status: ProxyStatus, metrics: ProxyMetrics) {
        router.get("healthz") { _, _ -> Response in
            let health = await status.health()
            let ok = health.healthy && health.nodeEligible
            metrics.healthz(code: ok ? 200 : 503)
            return json(HealthResponses.proxyHealth(health, families: await status.families), ok: ok)
        }
        router.get("livez") { _, _ -> Response in
            let health = await status.health()
            metrics.livez(code: health.healthy ? 200 : 503)
            return json(HealthResponses.proxyHealth(health, families: await status.families), ok: health.healthy)
        }
    }

    /// `/metrics`, `/healthz`, `/proxyMode`, and the audit endpoints `/debug/rules` and `/debug/model`.
    public static func metricsRoutes<RunnerClock: Clock>(
        _ router: Router<BasicRequestContext>, status: ProxyStatus, metrics: ProxyMetrics, runner: SyncRunner<RunnerClock>
    ) {
        router.get("metrics") { _, _ -> Response in
            text(metrics.exposition(), contentType: "text/plain; version=0.0.4; charset=utf-8")
        }
        router.get("healthz") { _, _ -> Response in
            let health = await status.health()
            let ok = health.healthy && health.nodeEligible
            return json(HealthResponses.proxyHealth(health, families: await status.families), ok: ok)
        }
        router.get("proxyMode") { _, _ -> Response in text(status.mode.rawValue) }
        router.get("debug/rules") { _, _ -> Response in
            var body = ""
            if let applied = await status.lastApplied {
                body += "# last applied transaction (\(applied.isFull ? "full" : "partial")) at \(HealthResponses.timestamp(applied.at))\n"
                body += applied.transaction
            } else {
                body += "# no transaction applied yet\n"
            }
            if let failure = await status.lastFailure {
                body += "\n# last refused transaction at \(HealthResponses.timestamp(failure.at))\n"
                body += failure.error.split(separator: "\n").map { "# \($0)" }.joined(separator: "\n") + "\n"
                body += failure.transaction
            }
            return text(body)
        }
        router.get("debug/model") { _, _ -> Response in text(await runner.modelText()) }
    }

    public static func json(_ body: String, ok: Bool) -> Response {
        Response(
            status: ok ? .ok : .serviceUnavailable, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    public static func text(_ body: String, contentType: String = "text/plain; charset=utf-8") -> Response {
        Response(status: .ok, headers: [.contentType: contentType], body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    /// How long a connection may go without a complete request head, or stay idle after its last response,
    /// before it is closed: far longer than a probe takes to send its request, short enough that connections
    /// opened and left half-sent (slowloris) do not pile up.
    public static let idleTimeout: TimeAmount = .seconds(10)
    /// The most connections all of proxyd's HTTP servers hold open together (see ``ConnectionBudget``): far
    /// above what probes and scrapes need, far below the descriptors proxyd has.
    public static let connectionLimit = 256

    /// The HTTP/1.1 server of every proxyd server: Hummingbird's, with ``idleTimeout`` and `budget`.
    public static func server(budget: ConnectionBudget, idleTimeout: TimeAmount = idleTimeout) -> HTTPServerBuilder {
        HTTPServerBuilder { responder in
            BudgetedHTTP1Channel(
                http1: HTTP1Channel(responder: responder, configuration: .init(idleTimeout: idleTimeout)), budget: budget)
        }
    }

    /// An application serving `routes` on `host` and `port`, its connections counted against `budget`.
    public static func application(
        host: String, port: Int, name: String, budget: ConnectionBudget, logger: Logger,
        routes: (Router<BasicRequestContext>) -> Void
    ) -> some ApplicationProtocol {
        let router = Router()
        routes(router)
        var quiet = logger
        quiet.logLevel = max(logger.logLevel, .warning)
        return Application(
            router: router, server: server(budget: budget),
            configuration: .init(address: .hostname(host, port: port), serverName: name), logger: quiet)
    }
}
