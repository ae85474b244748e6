import ArgumentParser

/// Which backend programs the kernel (`--proxy-mode`, alias `--mode`).
enum ProxyMode: String, CaseIterable, Sendable, ExpressibleByArgument {
    case nftables
    case iptables
    case ipvs

    init?(argument: String) {
        self.init(rawValue: argument.lowercased())
    }

    static var allValueStrings: [String] { allCases.map(\.rawValue) }
}

/// What `--dry-run` prints (`--output`).
enum OutputFormat: String, CaseIterable, Sendable, ExpressibleByArgument {
    /// The desired-state table: every Service port, its endpoints and decisions.
    case model
    /// The nftables transaction proxyd would apply.
    case nft
}
