import ArgumentParser
import Backends
import Logging
import ProxydConfiguration

/// `--cleanup`: removes everything proxyd may have installed, in any mode, and exits: 0 when nothing failed
/// (also when nothing was there), 1 otherwise. One log line per artefact.
struct Cleanup {
    let options: ResolvedOptions
    let logger: Logger

    func run() async throws {
        let report = await NodeCleanup().run()
        for item in report.items {
            if case .failed = item.outcome {
                logger.error("\(item)")
            } else {
                logger.info("\(item)")
            }
        }
        if !report.succeeded { throw ExitCode(1) }
    }
}
