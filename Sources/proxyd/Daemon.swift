import Backends
import Foundation
import Hummingbird
import Logging
import ProxydConfiguration
import ProxyRuntime
import ServiceLifecycle
import ServiceModel
import UnixSignals
import Watcher

/// The long-running proxy a DaemonSet runs: the source, the sync runner and the HTTP servers as services of
/// one group. SIGTERM and SIGINT stop it gracefully; proxyd's rules stay in the kernel (traffic keeps flowing
/// through an upgrade) and the next start takes them over in one transaction.
struct Daemon {
    let options: ResolvedOptions
    let source: any ObjectSource
    let logger: Logger

    func run() async throws {
        let configuration = await BackendSetup.settled(options, logger: logger)
        let backend = try await BackendSetup.make(configuration, logger: logger)
        let requirements = options.mode.kind.requirements(configuration)
        await NodeSetup.tune(options.conntrack, requirements: requirements, logger: logger)
        let conntrack: ConntrackReconciler?
        do {
            conntrack = try await ConntrackReconciler()
        } catch {
            logger.warning("stale UDP conntrack entries will not be cleaned: \(error)")
            conntrack = nil
        }
        // A backend's own interface (IPVS's dummy interface) holds Service addresses, not the node's.
        let excludedInterfaces = requirements.excludedInterfaces
        let localAddresses = LocalAddresses.read(excludingInterfaces: excludedInterfaces)
        let metrics = ProxyMetrics.bootstrap(mode: backend.mode)
        // Before the first sync, the families the model would serve without the Node: the series of each exist
        // from start, as kube-proxy's do.
        metrics.registerInitialSeries(families: ProxyModel(configuration: options.configuration).servedFamilies(
            node: NodeContext(snapshot: ClusterSnapshot(), nodeName: options.configuration.nodeName, localAddresses: localAddresses)))
        let daemon = options.daemon
        let status = ProxyStatus(mode: backend.mode, healthTimeout: daemon.syncPeriod.duration * 2)
        // One budget for every HTTP server: descriptors stay bounded whatever the number of health-check ports.
        let budget = ConnectionBudget(limit: ProxyHTTPServers.connectionLimit)
        let healthChecks = HealthCheckNodePorts(status: status, budget: budget, logger: logger)
        let logger = self.logger
        let runner = SyncRunner(
            backend: backend, conntrack: conntrack, configuration: options.configuration,
            settings: .init(minSyncPeriod: daemon.minSyncPeriod.duration, syncPeriod: daemon.syncPeriod.duration),
            localAddresses: { LocalAddresses.read(excludingInterfaces: excludedInterfaces) }, logger: logger
        ) { event in
            await status.observe(event)
            switch event {
            case .queued(let time, let endpointChanges, let serviceChanges):
                metrics.queued(at: time)
                metrics.pending(endpointChanges: endpointChanges, serviceChanges: serviceChanges)
            case .synced(let report):
                metrics.record(report)
                if report.succeeded { await healthChecks.reconcile(report.healthCheckServices, hosts: report.healthCheckHosts) }
            case .node:
                break
            }
        }
        logger.info(
            "starting",
            metadata: [
                "mode": "\(backend.mode)", "node": "\(options.configuration.nodeName)",
                "healthz": "\(daemon.healthzBindAddress)", "metrics": "\(daemon.metricsBindAddress)",
                "minSyncPeriod": "\(daemon.minSyncPeriod)", "syncPeriod": "\(daemon.syncPeriod)",
            ])
        var services: [any ServiceLifecycle.Service] = [
            TaskService(name: "source") { [source] in
                try await source.run { events in await runner.receive(events) }
            },
            TaskService(name: "sync runner") { await runner.run() },
        ]
        if let address = BindAddressValue(daemon.healthzBindAddress), address.port != 0 {
            services.append(ProxyHTTPServers.application(
                host: ListenHosts.host(for: address.host, localAddresses: localAddresses), port: address.port,
                name: "proxyd-healthz", budget: budget, logger: logger
            ) {
                ProxyHTTPServers.healthRoutes($0, status: status, metrics: metrics)
            })
        }
        if let address = BindAddressValue(daemon.metricsBindAddress), address.port != 0 {
            services.append(ProxyHTTPServers.application(
                host: ListenHosts.host(for: address.host, localAddresses: localAddresses), port: address.port,
                name: "proxyd-metrics", budget: budget, logger: logger
            ) {
                ProxyHTTPServers.metricsRoutes($0, status: status, metrics: metrics, runner: runner)
            })
        }
        let group = ServiceGroup(
            configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        await healthChecks.stopAll()
        logger.info("stopped; proxyd's rules stay in the kernel until the next start or --cleanup")
    }
}
