import ArgumentParser
import ProxyTesting
import VMChecks

/// `proxyd-vmcheck`: runs proxyd's VM checks — Swift code that needs a kernel this machine lacks (IPVS, dummy
/// interfaces) — inside the VM that `IPVSVMTests` boots, and writes their results for the host test.
@main
struct ProxydVMCheck: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "proxyd-vmcheck",
        abstract: "Run proxyd's VM checks (as root, inside a VM with IPVS; see docs/testing-lab.md).",
        discussion: "Runs the named checks (all by default) in order, one line per check on stdout, and writes the results as JSON.")

    @Option(help: "Write the results (a JSON array) to this file.")
    var output: String?

    @Flag(help: "List the checks by name and exit.")
    var list = false

    @Argument(help: "The checks to run, by name (default: all).")
    var names: [String] = []

    func validate() throws {
        let unknown = names.filter { !VMChecks.names.contains($0) }
        if !unknown.isEmpty { throw ValidationError("no such check: \(unknown.joined(separator: ", ")); --list lists them") }
        if !list && output == nil { throw ValidationError("--output FILE is required") }
    }

    func run() async throws {
        if list {
            VMChecks.names.forEach { print($0) }
            return
        }
        let selected = names.isEmpty ? VMChecks.all : VMChecks.all.filter { names.contains($0.name) }
        let passed = await VMCheckRunner.run(selected, writingTo: output!)
        if !passed { throw ExitCode(1) }
    }
}
