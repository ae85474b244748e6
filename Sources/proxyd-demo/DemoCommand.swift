import ArgumentParser
import Foundation
import Glibc
import ProxyTesting

/// `proxyd-demo` (`make demo`): a live two-node cluster on this machine with proxyd on each node.
@main
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "proxyd-demo",
        abstract: "Run proxyd live: a two-node cluster in network namespaces on this machine (root).",
        discussion: """
            Builds two nodes, their pods and an outside client as network namespaces on one bridge, loads the \
            example cluster (examples/) into a fake API server, starts proxyd on each node following it, and shows \
            with real connections — each one checked — a ClusterIP balancing across nodes, a NodePort from outside, \
            externalTrafficPolicy Local keeping the client's address, a scale-down moving the traffic, and the rules \
            of one node. Takes well under a minute once built.

            It touches nothing outside the namespaces it creates (named pxl-<id>-…) and sends traffic only to them. \
            It removes everything it created when it ends, also on failure and on Ctrl-C, and checks that it did. \
            Exit status: 0 when every check passed, 1 when one failed (the failing step says what it saw), 130 when \
            interrupted.
            """)

    @Option(help: ArgumentHelp("The example cluster to load into the API server.", valueName: "directory"))
    var examples = "examples"

    @Option(help: ArgumentHelp("The proxyd to run on each node (default: the one built next to proxyd-demo).", valueName: "path"))
    var proxyd: String?

    @Option(help: ArgumentHelp(
        "Seconds to pause before each step, to read the last one (default: 5 on a terminal without --hold, else 0).",
        valueName: "seconds"))
    var pace: Double?

    @Flag(help: ArgumentHelp(
        "Wait for Enter (a line on standard input) once the namespaces exist and before each step, to look around with "
            + "ip netns and nft. Each wait first prints a line starting with ⏸; Ctrl-C at a wait interrupts the demo."))
    var hold = false

    func validate() throws {
        if let pace, !(0...600).contains(pace) { throw ValidationError("--pace \(pace): give 0 to 600 seconds") }
    }

    func run() async throws {
        let narrator = Narrator()
        guard geteuid() == 0 else {
            narrator.line("proxyd-demo builds network namespaces and programs nftables in them: run it as root (sudo make demo).")
            throw ExitCode(1)
        }
        let script: DemoScript
        do {
            script = DemoScript(
                plan: try DemoPlan.load(examples: examples), proxyd: try proxyd ?? LabBinaries.path(of: "proxyd"),
                narrator: narrator, witness: CleanupWitness(),
                pace: .milliseconds(Int((pace ?? (isatty(STDOUT_FILENO) == 1 && !hold ? 5 : 0)) * 1000)),
                hold: hold ? Hold(narrator: narrator) : nil)
        } catch {
            narrator.line("proxyd-demo: \(error)")
            throw ExitCode(1)
        }
        let demo = Task { try await script.run() }
        let interrupt = SignalCancellation(cancelling: demo) { signal in
            narrator.line("\n\(signal == SIGINT ? "Interrupted" : "Terminated"): cleaning up…")
        }
        defer { interrupt.remove() }
        do {
            try await demo.value
        } catch {
            if interrupt.received != nil {
                narrator.line("The demo was interrupted.")
                throw ExitCode(130)
            }
            if let failure = error as? DemoFailure, failure.reported {
                narrator.line("The demo failed: a check did not hold (✗ above).")
            } else {
                narrator.line("✗ The demo failed: \(error)")
            }
            throw ExitCode(1)
        }
    }
}
