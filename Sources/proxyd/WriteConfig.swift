import ArgumentParser
import Foundation
import Logging
import ProxydConfiguration

/// `--write-config-to`: the effective configuration (defaults filled in) written as YAML; exit 1 when the file cannot
/// be written.
struct WriteConfig {
    let options: ResolvedOptions
    let path: String
    let logger: Logger

    func run() throws {
        do throws(FileAccess.Failure) {
            try FileAccess.write(Data(options.effectiveConfiguration.yaml().utf8), to: path)
        } catch {
            logger.error("--write-config-to \(path): \(error.reason)")
            throw ExitCode(1)
        }
        logger.info("wrote the effective configuration", metadata: ["file": "\(path)"])
    }
}
