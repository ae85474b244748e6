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
    /// The iptables-restore input proxyd would apply (one per IP family).
    case iptables
}

/// Which iptables implementation the iptables mode uses (`--iptables-flavour`).
enum IptablesFlavourOption: String, CaseIterable, Sendable, ExpressibleByArgument {
    /// The one the node's rules are in, detected as kube-proxy's image does.
    case auto
    case nft
    case legacy
}
