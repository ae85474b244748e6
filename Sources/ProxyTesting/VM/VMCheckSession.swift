import Foundation

/// Boots one VM and runs `proxyd-vmcheck` inside it: every `VMCheck` (or those named) in one boot, results back
/// through the shared directory. The lab's process deadlines are stretched there (`PROXYD_LAB_SLOWDOWN=10`).
///
/// Boots are the expensive part (about a minute under software emulation), so a test process runs one session
/// and every host-side test reads its result from it (`IPVSVMTests` keeps it in a `static let` task).
public enum VMCheckSession {
    public struct Outcome: Sendable {
        /// By check name.
        public var results: [String: VMCheckResult]
        /// `proxyd-vmcheck`'s own output (one line per check), for failure reports.
        public var log: String
        public var console: String
        public var duration: Duration
    }

    /// The VM for checks: two CPUs and 1 GiB, enough for a lab of a few namespaces and its Swift processes.
    public static let cpus = 2
    public static let memory = "1G"

    /// Boot, every check and power-off, with room for a busy machine: alone the session takes about 4.5 minutes,
    /// next to the other suites of `swift test` about 7.5 (estimated from 5.5 before IPVS mode's check).
    public static let defaultDeadline: Duration = .seconds(900)

    public static func run(checks names: [String] = [], deadline: Duration = defaultDeadline) async throws -> Outcome {
        let executable = try LabBinaries.path(of: "proxyd-vmcheck")
        let arguments = names.map { "'\($0.replacingOccurrences(of: "'", with: "'\\''"))'" }.joined(separator: " ")
        let script = """
            PROXYD_LAB_SLOWDOWN=10 "\(executable)" --output "$SHARED/results.json" \(arguments) > "$SHARED/vmcheck.log" 2>&1
            echo $? > "$SHARED/status"
            """
        let vm = try await VirtualMachine.run(script: script, deadline: deadline, cpus: cpus, memory: memory)
        defer { try? FileManager.default.removeItem(atPath: vm.directory) }
        let log = vm.file("vmcheck.log") ?? ""
        guard let data = FileManager.default.contents(atPath: vm.directory + "/results.json") else {
            throw LabError(.unexpectedOutput, "proxyd-vmcheck wrote no results (status \(vm.file("status") ?? "none")); its output:\n\(log)\nconsole:\n\(vm.console)")
        }
        let results = try JSONDecoder().decode([VMCheckResult].self, from: data)
        return Outcome(
            results: Dictionary(results.map { ($0.name, $0) }, uniquingKeysWith: { $1 }), log: log, console: vm.console,
            duration: vm.duration)
    }
}
