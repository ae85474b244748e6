import ProxyTesting
import ServiceModel

/// What a batch of fresh connections saw: which pod answered how often, the source addresses the pods saw, and
/// the attempts no pod answered. The demo's checks are made on it.
struct ConnectionTally: Sendable, Equatable {
    /// Pod name → connections it answered.
    private(set) var answers: [String: Int] = [:]
    /// The client addresses the answering pods saw (masqueraded or not).
    private(set) var peers: Set<IPAddress> = []
    /// Outcomes of the attempts no pod answered (refused, timeout, …).
    private(set) var unanswered: [ConnectionOutcome] = []

    init(_ outcomes: [ConnectionOutcome]) {
        for outcome in outcomes {
            if case .reply(let name, let peer) = outcome {
                answers[name, default: 0] += 1
                peers.insert(peer.ip)
            } else {
                unanswered.append(outcome)
            }
        }
    }

    var total: Int { answers.values.reduce(0, +) + unanswered.count }

    /// `frontend-a 11, frontend-b 9`, pods in name order, then what went unanswered.
    var summary: String {
        var parts = answers.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
        if !unanswered.isEmpty {
            let kinds = Set(unanswered.map(\.description)).sorted().joined(separator: ", ")
            parts.append("\(unanswered.count) unanswered (\(kinds))")
        }
        return parts.joined(separator: ", ")
    }

    /// Every connection was answered, each of `pods` answered at least once, and no other pod did.
    func requireAnswered(by pods: Set<String>, _ what: String) throws(DemoFailure) {
        guard unanswered.isEmpty else {
            throw DemoFailure("\(what): \(unanswered.count) of \(total) connections got no answer (\(summary))")
        }
        let answering = Set(answers.keys)
        guard answering == pods else {
            let missing = pods.subtracting(answering).sorted(), extra = answering.subtracting(pods).sorted()
            var problems: [String] = []
            if !missing.isEmpty { problems.append("no answer from \(missing.joined(separator: ", "))") }
            if !extra.isEmpty { problems.append("unexpected answers from \(extra.joined(separator: ", "))") }
            throw DemoFailure("\(what): expected answers from \(pods.sorted().joined(separator: ", ")); \(problems.joined(separator: "; ")) (\(summary))")
        }
    }

    /// The pods saw exactly `addresses` as the connections' source.
    func requirePeers(_ addresses: Set<IPAddress>, _ what: String) throws(DemoFailure) {
        guard peers == addresses else {
            throw DemoFailure("\(what): the pods saw \(Self.list(peers)), expected \(Self.list(addresses))")
        }
    }

    /// The pods never saw `address` as the source.
    func requireNoPeer(_ address: IPAddress, _ what: String) throws(DemoFailure) {
        guard !peers.contains(address) else {
            throw DemoFailure("\(what): a pod saw the client's own address \(address) (\(Self.list(peers)))")
        }
    }

    static func list(_ addresses: Set<IPAddress>) -> String {
        addresses.isEmpty ? "no address" : addresses.sorted().map(\.description).joined(separator: ", ")
    }
}
