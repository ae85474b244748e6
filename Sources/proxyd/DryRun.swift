import ArgumentParser
import Backends
import Foundation
import Logging
import ProxydConfiguration
import ProxyRuntime
import ServiceModel
import Watcher

/// `--dry-run`: reads the objects, computes the desired state of every served family and prints it.
struct DryRun {
    let options: ResolvedOptions
    let logger: Logger

    func run() async throws {
        let snapshot = try await ClusterSource.initialSnapshot(options: options, logger: logger)
        let states = DesiredStates.compute(snapshot: snapshot, configuration: options.configuration, logger: logger)
        let text: String
        switch options.output {
        case .model:
            text = states.map { DesiredStateTable.render($0, nodeName: options.configuration.nodeName) }.joined(separator: "\n")
        case .nft:
            // Exactly what --once would send to a node where proxyd has not run yet.
            let output = NftablesRenderer().full(states, previous: nil)
            for warning in output.warnings { logger.warning("\(warning)") }
            text = output.transaction.text
        case .iptables:
            // Exactly what --once would send to a node where proxyd has not run yet (nothing to list).
            let flavour = await Backends.iptablesFlavour(options, logger: logger)
            let output = IptablesRenderer(settings: Backends.iptablesSettings(options, flavour: flavour)).full(states, kernel: [:])
            for warning in output.warnings { logger.warning("\(warning)") }
            text = output.transaction.text
        }
        FileHandle.standardOutput.write(Data(text.utf8))
    }
}
