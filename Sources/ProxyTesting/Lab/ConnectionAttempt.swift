import Foundation
import ServiceModel

/// One connection attempt: its outcome, the client's local address (to find its conntrack entry) and the raw reply.
public struct ConnectionAttempt: Sendable, Hashable, CustomStringConvertible {
    public var outcome: ConnectionOutcome
    /// The client's address and source port; nil when the attempt failed before the kernel chose one.
    public var local: IPSocketAddress?
    /// The reply line as received, also when it is not a lab server's `NAME PEER` (e.g. through `forward`).
    public var replyText: String?

    public init(outcome: ConnectionOutcome, local: IPSocketAddress?, replyText: String? = nil) {
        self.outcome = outcome
        self.local = local
        self.replyText = replyText
    }

    public var description: String { "\(outcome)\(local.map { " from \($0)" } ?? "")" }

    /// Parses one JSON line printed by `proxyd-lab connect`.
    ///
    /// A reply that is not `NAME PEER_IP:PEER_PORT` becomes ``ConnectionOutcome/error(_:)``, with the text kept in
    /// ``replyText``.
    public init(jsonLine line: some StringProtocol) throws(LabError) {
        let wire: ConnectReport
        do {
            wire = try JSONDecoder().decode(ConnectReport.self, from: Data(line.utf8))
        } catch {
            throw LabError(.unexpectedOutput, "`proxyd-lab connect` printed \"\(line)\", not an attempt report: \(error)")
        }
        let local = wire.local.flatMap { IPSocketAddress($0) }.flatMap { $0.ip.isUnspecified ? nil : $0 }
        switch wire.outcome {
        case "reply":
            let text = wire.reply ?? ""
            let words = text.split(separator: " ", maxSplits: 1)
            if words.count == 2, let peer = IPSocketAddress(words[1]) {
                self.init(outcome: .reply(name: String(words[0]), peer: peer), local: local, replyText: text)
            } else {
                self.init(outcome: .error("reply \"\(text)\" is not `NAME PEER_IP:PEER_PORT`"), local: local, replyText: text)
            }
        case "refused": self.init(outcome: .refused, local: local)
        case "timeout": self.init(outcome: .timeout, local: local)
        case "unreachable": self.init(outcome: .unreachable, local: local)
        case "error": self.init(outcome: .error(wire.error ?? "unknown error"), local: local)
        default:
            throw LabError(.unexpectedOutput, "unknown outcome \"\(wire.outcome)\" in \"\(line)\"")
        }
    }
}

/// The JSON line `proxyd-lab connect` prints per attempt (Sources/proxyd-lab/Connect.swift, `AttemptReport`).
private struct ConnectReport: Decodable {
    var outcome: String
    var reply: String?
    var local: String?
    var error: String?
}
