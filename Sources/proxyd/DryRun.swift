import ArgumentParser
import Backends
import Foundation
import Logging
import ProxyRuntime
import ProxydConfiguration
import ServiceModel

/// `--dry-run`: reads the objects, computes the desired state of every served family and prints it — the table, or
/// exactly what the mode's backend would send to a node where proxyd has not run yet.
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
        case .rules(let mode):
            let configuration = await BackendSetup.settled(options, logger: logger)
            guard let plan = mode.kind.plan(states, configuration) else {
                logger.error("--proxy-mode=\(mode) has no rules output in this version; use --output=model")
                throw ExitCode(1)
            }
            for warning in plan.warnings { logger.warning("\(warning)") }
            text = plan.text
        }
        FileHandle.standardOutput.write(Data(text.utf8))
    }
}
