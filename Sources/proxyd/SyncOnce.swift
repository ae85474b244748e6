import ArgumentParser
import Backends
import Logging
import ProxyRuntime
import ProxydConfiguration
import ServiceModel

/// `--once`: programs the kernel of the current network namespace once, in full, and exits: 0 when the rules were
/// applied.
struct SyncOnce {
    let options: ResolvedOptions
    let logger: Logger

    func run() async throws {
        // The snapshot is released before the sync: the kernel apply is the peak of proxyd's memory, and the
        // cluster objects are not needed once the desired states exist.
        let states = try await desiredStates()
        let configuration = await BackendSetup.settled(options, logger: logger)
        let backend = try await BackendSetup.make(configuration, logger: logger)
        // What the rules need of the node (route_localnet for localhost NodePorts); conntrack tuning is the daemon's
        // and --init-only's.
        await NodeSetup.prepare(options.mode.kind.requirements(configuration), logger: logger)
        do {
            let result = try await backend.sync(states, .full)
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
