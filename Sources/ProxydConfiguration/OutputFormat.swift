import ArgumentParser

/// What `--dry-run` prints (`--output`).
public enum OutputFormat: String, CaseIterable, Sendable, ExpressibleByArgument {
    /// The desired-state table: every Service port, its endpoints and decisions.
    case model
    /// The nftables transaction proxyd would apply.
    case nft
    /// The iptables-restore input proxyd would apply (one per IP family).
    case iptables
}
