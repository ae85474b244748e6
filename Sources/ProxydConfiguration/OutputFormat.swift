import ArgumentParser
import Backends

/// What `--dry-run` prints (`--output`): the desired-state table, or a mode's rules by the mode's output name
/// (`nft`, `iptables`; `BackendKind.outputName`).
public enum OutputFormat: Sendable, Hashable, ExpressibleByArgument, CustomStringConvertible {
    /// The desired-state table: every Service port, its endpoints and decisions.
    case model
    /// What the mode's backend would send to the kernel of a node where proxyd has not run.
    case rules(ProxyMode)

    public init?(argument: String) {
        let name = argument.lowercased()
        if name == "model" {
            self = .model
        } else if let mode = ProxyMode.allCases.first(where: { $0.kind.outputName == name }) {
            self = .rules(mode)
        } else {
            return nil
        }
    }

    public static var allValueStrings: [String] {
        ["model"] + ProxyMode.allCases.compactMap { $0.kind.outputName }
    }

    public var description: String {
        switch self {
        case .model: "model"
        case .rules(let mode): mode.kind.outputName ?? mode.rawValue
        }
    }
}
