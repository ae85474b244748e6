import ArgumentParser
import Foundation
import Logging
import ProxydConfiguration
import ServiceModel
import Watcher

/// Where the cluster's objects come from: `--objects` files, or the API server (`--kubeconfig`, `--master` or
/// in-cluster configuration).
enum ClusterSource {
    /// How long the one-shot commands wait for the API server's complete initial lists.
    static let initialListTimeout: Duration = .seconds(60)

    /// The long-running source for the daemon.
    static func make(options: ResolvedOptions, logger: Logger) throws -> any ObjectSource {
        if let path = options.objectsPath {
            return FileSource(path: path, logger: Logger(label: "proxyd.files"))
        }
        return try apiServerSource(options: options, logger: logger)
    }

    /// The complete, synced state now, for `--once` and `--dry-run`.
    static func initialSnapshot(options: ResolvedOptions, logger: Logger) async throws -> ClusterSnapshot {
        if let path = options.objectsPath {
            return try ObjectFiles.loadSnapshot(path: path, logger: logger)
        }
        let source = try apiServerSource(options: options, logger: logger)
        defer { Task { await source.client.transport.shutdown() } }
        do {
            return try await InitialClusterState.load(from: source, timeout: initialListTimeout)
        } catch let error as InitialClusterState.TimedOut {
            logger.error("\(error)")
            throw ExitCode(1)
        }
    }

    static func apiServerSource(options: ResolvedOptions, logger: Logger) throws -> APIServerSource {
        let settings = options.clientConnection
        do {
            let configuration = try apiServerConfiguration(settings)
            let client = try APIClient.make(
                configuration: configuration, transport: APITransportKind(rawValue: settings.transport) ?? .auto,
                qps: settings.qps, burst: settings.burst, logger: logger)
            return APIServerSource(
                client: client, nodeName: options.configuration.nodeName,
                serviceProxyName: options.configuration.serviceProxyName, logger: Logger(label: "proxyd.apiserver"))
        } catch {
            logger.error("\(error)")
            throw ExitCode(1)
        }
    }

    /// The kubeconfig (with `--master` overriding its server), `--master` alone (with the pod's service
    /// account when there is one), or the in-cluster configuration.
    static func apiServerConfiguration(
        _ settings: ClientConnectionSettings, inCluster: InClusterConfig = InClusterConfig()
    ) throws(ClientConfigurationError) -> APIServerConfiguration {
        if let kubeconfig = settings.kubeconfig {
            let configuration = try KubeConfig.load(path: kubeconfig)
            return try settings.master.map { master throws(ClientConfigurationError) in try configuration.overridingServer(master) }
                ?? configuration
        }
        if let master = settings.master {
            let server = try APIServerConfiguration.parseServer(master, source: "--master", field: "")
            guard inCluster.hasServiceAccount else { return APIServerConfiguration(server: server, origin: "--master") }
            let (tls, credentials) = try inCluster.serviceAccount()
            return APIServerConfiguration(server: server, tls: tls, credentials: credentials, origin: "--master with the pod's service account")
        }
        return try inCluster.load()
    }
}
