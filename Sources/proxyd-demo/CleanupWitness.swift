import Foundation
import Glibc
import Synchronization

/// Remembers what the demo created — its lab's namespaces and the processes it started — and checks afterwards
/// that all of it is gone, so "cleans up after itself" is checked, not promised.
final class CleanupWitness: Sendable {
    private struct State {
        var namespacePrefix: String?
        var namespaceCount = 0
        var processes: [Int32] = []
    }

    private let state = Mutex(State())

    /// The lab's namespaces: every one is named `<prefix>…`.
    func recordNamespaces(prefix: String, count: Int) {
        state.withLock {
            $0.namespacePrefix = prefix
            $0.namespaceCount = count
        }
    }

    func recordProcess(_ pid: Int32) {
        state.withLock { $0.processes.append(pid) }
    }

    /// What is still there: namespaces with the lab's prefix, and started processes still alive.
    func leftovers() -> (namespaces: [String], processes: [Int32]) {
        let (prefix, pids) = state.withLock { ($0.namespacePrefix, $0.processes) }
        let namespaces = prefix.map { prefix in
            ((try? FileManager.default.contentsOfDirectory(atPath: "/run/netns")) ?? []).filter { $0.hasPrefix(prefix) }.sorted()
        } ?? []
        // kill(pid, 0) probes without signalling; ESRCH means no such process.
        let alive = pids.filter { kill($0, 0) == 0 || errno != ESRCH }
        return (namespaces, alive)
    }

    /// `11 namespaces and 12 processes`, what was created.
    var summary: String {
        state.withLock { "\($0.namespaceCount) network namespaces and \($0.processes.count) processes" }
    }

    /// Whether anything was created at all (the demo may fail before building the lab).
    var createdAnything: Bool { state.withLock { $0.namespacePrefix != nil || !$0.processes.isEmpty } }
}
