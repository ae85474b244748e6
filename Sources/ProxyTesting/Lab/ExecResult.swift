/// What a finished command did: its exit status and everything it printed.
public struct ExecResult: Sendable, CustomStringConvertible {
    public enum Status: Sendable, Hashable, CustomStringConvertible {
        case exited(Int32)
        case signaled(Int32)

        public var description: String {
            switch self {
            case .exited(let code): "exit status \(code)"
            case .signaled(let signal): "killed by signal \(signal)"
            }
        }
    }

    /// The command as run, including the `ip netns exec NS` prefix.
    public let command: [String]
    public let status: Status
    public let stdout: String
    public let stderr: String

    public var succeeded: Bool { status == .exited(0) }

    /// Returns self if the command exited 0, else throws an error quoting the command and its stderr.
    @discardableResult
    public func requireSuccess() throws(LabError) -> ExecResult {
        guard succeeded else { throw LabError(.commandFailed, description) }
        return self
    }

    public var description: String {
        let output = stderr.isEmpty ? stdout : stderr
        let trimmed = output.trimmingTrailingNewlines
        return "`\(command.joined(separator: " "))`: \(status)\(trimmed.isEmpty ? "" : ": \(trimmed)")"
    }
}

extension String {
    var trimmingTrailingNewlines: String {
        var text = self
        while text.last?.isNewline == true { text.removeLast() }
        return text
    }
}
