import Foundation

/// Runs `VMCheck`s inside the VM, one after the other, and writes their results for the host.
public enum VMCheckRunner {
    /// Runs `checks` in order and writes every result to `path` (a JSON array) after each check, so a VM stopped at
    /// its deadline still reports the checks that finished. Prints one line per check. Returns whether all passed.
    public static func run(_ checks: [VMCheck], writingTo path: String) async -> Bool {
        var results: [VMCheckResult] = []
        for check in checks {
            let context = VMCheckContext(name: check.name)
            let started = ContinuousClock.now
            let finished = await withTaskGroup(of: Bool.self) { group in
                group.addTask {
                    do {
                        try await check.body(context)
                    } catch is VMCheckContext.RequirementFailed {
                    } catch {
                        // Cancelled at its timeout, which is recorded below.
                        if !Task.isCancelled { context.record("the check threw: \(error)") }
                    }
                    return true
                }
                group.addTask {
                    try? await Task.sleep(for: check.timeout)
                    return false
                }
                let first = await group.next() ?? false
                group.cancelAll()
                return first
            }
            if !finished { context.record("the check did not finish within \(check.timeout)") }
            let elapsed = ContinuousClock.now - started
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            let result = context.result(seconds: seconds)
            results.append(result)
            print("\(result.passed ? "PASS" : "FAIL") \(check.name) (\(String(format: "%.1f", seconds)) s)")
            for issue in result.issues { print("  \(issue)") }
            write(results, to: path)
        }
        return results.allSatisfy(\.passed)
    }

    static func write(_ results: [VMCheckResult], to path: String) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard let data = try? encoder.encode(results) else { return }
        try? data.write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}
