import ProxyTesting
import Synchronization

/// proxyd running on one demo node, as the DaemonSet runs it (`proxyd --config … --hostname-override NODE`), with its
/// log read line by line: its standard error is merged into the lab process's standard output, so a sync can be
/// awaited as the log line proxyd writes for it.
struct ProxydNode: Sendable {
    let node: DemoPlan.Node
    let host: LabHost
    let process: LabProcess

    /// Starts proxyd in `host` and returns at once.
    static func start(in lab: NetworkLab, host: LabHost, node: DemoPlan.Node, proxyd: String, config: String) async throws -> ProxydNode {
        // `exec` keeps proxyd the process the lab stops (SIGTERM: proxyd's graceful shutdown).
        let command = ["/bin/sh", "-c", "exec \"$0\" \"$@\" 2>&1", proxyd, "--config", config, "--hostname-override", node.rawValue]
        return ProxydNode(node: node, host: host, process: try await lab.start(in: host, command))
    }

    /// `2026-…Z info proxyd: synced changedServices=1 …`: one per sync that changed the kernel.
    static func isSyncLine(_ line: String) -> Bool { line.contains(": synced ") }

    /// The sync lines logged so far.
    var syncCount: Int { process.outputLines.count(where: Self.isSyncLine) }

    /// Waits for proxyd to log sync number `count + 1` and returns that line without its timestamp.
    ///
    /// - Throws: ``DemoFailure`` with proxyd's last log lines if proxyd exits or logs no such sync within `timeout`.
    func waitForSync(after count: Int, timeout: Duration) async throws -> String {
        let seen = Mutex(0)
        do {
            let line = try await process.waitForLine(timeout: timeout) { line in
                guard Self.isSyncLine(line) else { return false }
                return seen.withLock { seen in
                    seen += 1
                    return seen > count
                }
            }
            return line.split(separator: " ", maxSplits: 1).last.map(String.init) ?? line
        } catch let error as LabError {
            let what = error.code == .processExited ? "exited" : "logged no sync within \(timeout)"
            throw DemoFailure("proxyd on \(node) \(what)\n\(recentLog)")
        }
    }

    /// proxyd's last log lines, for failure messages.
    var recentLog: String {
        let lines = process.outputLines.suffix(15)
        return lines.isEmpty ? "(proxyd printed nothing)" : "proxyd's last log lines on \(node):\n" + lines.map { "    " + $0 }.joined(separator: "\n")
    }
}
