import ArgumentParser

/// `proxyd-bench`: measures proxyd. Not a test: it prints numbers for BENCHMARKS.md.
@main
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "proxyd-bench",
        abstract: "Measure proxyd's sync speed, memory and data path (see BENCHMARKS.md).",
        subcommands: [
            NftablesBench.self, IptablesBench.self, WatcherBench.self, DecodeBench.self, GenerateCommand.self,
            WatcherListCommand.self, IPVSBench.self,
        ]
    )
}
