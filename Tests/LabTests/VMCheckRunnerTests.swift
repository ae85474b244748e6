import Foundation
import ProxyTesting
import Testing

/// The VM check runner on this machine (no VM needed): what a check reports comes back as results with the check's
/// own source lines, one per check, written after each.
@Suite("VM check runner")
struct VMCheckRunnerTests {
    struct Boom: Error, CustomStringConvertible {
        var description: String { "boom" }
    }

    @Test func everyCheckReportsItsFailuresWithTheirSourceLinesAndTheRunGoesOn() async throws {
        let path = NSTemporaryDirectory() + "proxyd-vmcheck-" + UUID().uuidString + ".json"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let expectLine = #line + 4
        let requireLine = #line + 6
        let checks = [
            VMCheck("passes") { check in check.expect(true, "never shown"); check.note("a number: 42") },
            VMCheck("expects") { check in check.expect(1 + 1 == 3, "arithmetic") },
            VMCheck("requires") { check in
                let value: Int? = nil
                _ = try check.require(value, "a value")
                check.record("not reached")
            },
            VMCheck("throws") { _ in throw Boom() },
            VMCheck("hangs", timeout: .milliseconds(200)) { _ in try await Task.sleep(for: .seconds(30)) },
        ]
        let passed = await VMCheckRunner.run(checks, writingTo: path)
        #expect(!passed)
        let results = try JSONDecoder().decode([VMCheckResult].self, from: try Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(results.map(\.name) == ["passes", "expects", "requires", "throws", "hangs"])
        #expect(results[0].passed && results[0].notes == ["a number: 42"])
        #expect(results[1].issues.map(\.message) == ["Expectation failed: arithmetic"])
        #expect(results[1].issues.first?.line == expectLine)
        #expect(results[1].issues.first?.fileID.hasSuffix("VMCheckRunnerTests.swift") == true)
        #expect(results[2].issues.map(\.message) == ["Requirement failed: a value"])
        #expect(results[2].issues.first?.line == requireLine)
        #expect(results[3].issues.map(\.message) == ["the check threw: boom"])
        #expect(results[4].issues.map(\.message) == ["the check did not finish within 0.2 seconds"])
    }
}
