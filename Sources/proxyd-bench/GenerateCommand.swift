import ArgumentParser
import Foundation

/// `proxyd-bench generate`: writes a generated cluster as one JSON List, to reproduce a benchmark by hand
/// (`proxyd --objects FILE --hostname-override bench-node --dry-run`).
struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate", abstract: "Write a generated cluster (Services × endpoints) as a JSON List to stdout.")

    @Option(help: "Number of Services.")
    var services: Int = 10000

    @Option(help: "Endpoints per Service.")
    var endpoints: Int = 2

    func run() throws {
        FileHandle.standardOutput.write(try GeneratedCluster(services: services, endpoints: endpoints).json())
    }
}
