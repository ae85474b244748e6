import ArgumentParser
import Backends
import Logging
import ProxydConfiguration

/// The mode's backend as the commands use it: its configuration settled against the node, built, or its plan.
enum BackendSetup {
    /// `options.backend` with what the node decides filled in (the iptables flavour), each finding logged (at debug
    /// for `--dry-run`, whose output is the point).
    static func settled(_ options: ResolvedOptions, logger: Logger) async -> BackendConfiguration {
        let (configuration, notes) = await options.mode.kind.settle(options.backend)
        for note in notes { logger.log(level: options.dryRun ? .debug : .info, "\(note)") }
        return configuration
    }

    /// The backend, its driver open; exit 1 with the reason when it cannot be (no nftables, no iptables, a mode
    /// without a backend yet).
    static func make(_ configuration: BackendConfiguration, logger: Logger) async throws -> any Backend {
        do {
            return try await configuration.mode.kind.make(configuration)
        } catch {
            logger.error("\(error)")
            throw ExitCode(1)
        }
    }
}
