import Foundation
import ProxyTesting
import Testing
import VMChecks

/// IPVS against a real kernel: every `VMCheck` (netlink client, dummy interface, planner and driver, connections
/// through virtual servers in a lab, drains, `--cleanup`) runs inside one VM booted from Debian's kernel — this
/// machine's kernel has no IPVS — and each check's result is one test case here, its failures recorded at the
/// check's own source lines.
///
/// The VM boots once per test process, when the first case asks (`session`); every case reads its result from it.
@Suite("IPVS on a real kernel, in one VM")
struct IPVSVMTests {
    /// The one VM session of this test process.
    static let session = Task { try await VMCheckSession.run() }

    @Test(arguments: VMChecks.names)
    func check(_ name: String) async throws {
        let outcome = try await Self.session.value
        let result = try #require(outcome.results[name], "the check did not finish; proxyd-vmcheck printed:\n\(outcome.log)")
        let notes = result.notes.isEmpty ? "" : "\nnotes:\n" + result.notes.joined(separator: "\n")
        for issue in result.issues {
            Issue.record(
                Comment(rawValue: issue.message + notes),
                sourceLocation: SourceLocation(fileID: issue.fileID, filePath: issue.filePath, line: issue.line, column: issue.column))
        }
        print("VM check \"\(name)\": \(String(format: "%.1f", result.seconds)) s in the VM\(notes)")
    }

    @Test func everyCheckRanInOneBoot() async throws {
        let outcome = try await Self.session.value
        #expect(Set(outcome.results.keys) == Set(VMChecks.names), "proxyd-vmcheck printed:\n\(outcome.log)")
        print("IPVS VM session: one boot, \(outcome.results.count) checks, \(outcome.duration) in all")
    }
}
