import Foundation

/// What a running `VMCheck` reports through: failed expectations with their source locations, and notes (numbers,
/// listings) that come back with the result.
///
/// Thread-safe: a check may record from several tasks.
public final class VMCheckContext: @unchecked Sendable {
    public let name: String
    private let lock = NSLock()
    private var issues: [VMCheckResult.Issue] = []
    private var notes: [String] = []

    public init(name: String) { self.name = name }

    /// Thrown by `require` to end the check; already recorded.
    public struct RequirementFailed: Error {}

    /// Records a failure when `condition` is false.
    public func expect(
        _ condition: Bool, _ message: @autoclosure () -> String, fileID: String = #fileID, filePath: String = #filePath,
        line: Int = #line, column: Int = #column
    ) {
        if !condition { record("Expectation failed: " + message(), fileID: fileID, filePath: filePath, line: line, column: column) }
    }

    /// Records a failure and ends the check when `condition` is false.
    public func require(
        _ condition: Bool, _ message: @autoclosure () -> String, fileID: String = #fileID, filePath: String = #filePath,
        line: Int = #line, column: Int = #column
    ) throws {
        guard condition else {
            record("Requirement failed: " + message(), fileID: fileID, filePath: filePath, line: line, column: column)
            throw RequirementFailed()
        }
    }

    /// The value, or a recorded failure that ends the check when it is nil.
    public func require<T>(
        _ value: T?, _ message: @autoclosure () -> String, fileID: String = #fileID, filePath: String = #filePath,
        line: Int = #line, column: Int = #column
    ) throws -> T {
        guard let value else {
            record("Requirement failed: " + message(), fileID: fileID, filePath: filePath, line: line, column: column)
            throw RequirementFailed()
        }
        return value
    }

    public func record(_ message: String, fileID: String = #fileID, filePath: String = #filePath, line: Int = #line, column: Int = #column) {
        lock.withLock {
            issues.append(VMCheckResult.Issue(message: message, fileID: fileID, filePath: filePath, line: line, column: column))
        }
    }

    /// Something worth reading with the result (a measurement, a listing); printed by the host test.
    public func note(_ text: String) {
        lock.withLock { notes.append(text) }
    }

    func result(seconds: Double) -> VMCheckResult {
        lock.withLock { VMCheckResult(name: name, issues: issues, notes: notes, seconds: seconds) }
    }
}
