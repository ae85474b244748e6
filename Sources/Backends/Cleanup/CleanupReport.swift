/// What `--cleanup` found and removed, artefact by artefact.
public struct CleanupReport: Sendable, CustomStringConvertible {
    public enum Outcome: Sendable, Hashable {
        /// These of proxyd's objects were removed.
        case removed([String])
        /// The artefact exists on this node but held nothing of proxyd's.
        case nothingFound
        /// The tool or kernel feature is not there, so proxyd cannot have installed anything with it.
        case notAvailable(String)
        /// Removal failed; the message says why (earlier removals stay done).
        case failed(String)
    }

    public struct Item: Sendable, Hashable, CustomStringConvertible {
        /// `nftables`, `iptables-nft (IPv4)`, `IPVS`, `interface proxyd-ipvs0`, `ipset`.
        public var artefact: String
        public var outcome: Outcome

        public var description: String {
            switch outcome {
            case .removed(let names): "\(artefact): removed \(names.joined(separator: ", "))"
            case .nothingFound: "\(artefact): nothing of proxyd's"
            case .notAvailable(let why): "\(artefact): not available (\(why)); nothing to remove"
            case .failed(let why): "\(artefact): FAILED: \(why)"
            }
        }
    }

    public var items: [Item] = []

    public init(items: [Item] = []) { self.items = items }

    /// Nothing failed (whether or not anything was there).
    public var succeeded: Bool {
        !items.contains { if case .failed = $0.outcome { true } else { false } }
    }

    public var description: String { items.map(\.description).joined(separator: "\n") }
}
