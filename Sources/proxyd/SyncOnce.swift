import ArgumentParser
import Backends
import Logging
import ProxyRuntime
import ProxydConfiguration
import ServiceModel

/// `--once`: programs the kernel of the current network namespace once and exits.
struct SyncOnce {
    let options: ResolvedOptions
    let logger: Logger

    func run() async throws {
        // The snapshot is released before the sync: the kernel apply is the peak of proxyd's memory, and the
        // cluster objects are not needed once the desired states exist.
        let states = try await desiredStates()
        let backend = try await Backends.make(options, logger: logger)
        NodeSetup.prepareForRules(routeLocalnet: options.needsRouteLocalnet, logger: logger)
        do {
            let result = try await backend.sync(states, changes: nil, forceFull: true)
            for warning in result.warnings { logger.warning("\(warning)") }
            logger.info(
                "synced",
                metadata: [
                    "mode": "\(backend.mode)", "sync": "full",
                    "servicePorts": "\(states.reduce(0) { $0 + $1.servicePortCount })",
                    "endpoints": "\(states.reduce(0) { $0 + $1.endpointCount })",
                ])
        } catch {
            logger.error("sync failed: \(error.message)")
            throw ExitCode(1)
        }
    }

    private func desiredStates() async throws -> [DesiredState] {
        let snapshot = try await ClusterSource.initialSnapshot(options: options, logger: logger)
        return DesiredStates.compute(snapshot: snapshot, configuration: options.configuration, logger: logger)
    }
}
