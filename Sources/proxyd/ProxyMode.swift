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

    /// Where NodePorts are served when `--nodeport-addresses` is not given: kube-proxy's nftables mode uses the
    /// node's primary IPs; iptables and IPVS every local address.
    var defaultNodePortAddresses: [NodePortAddressSelectorArgument] {
        self == .nftables ? [.primary] : []
    }
}

/// What `--dry-run` prints (`--output`).
enum OutputFormat: String, CaseIterable, Sendable, ExpressibleByArgument {
    /// The desired-state table: every Service port, its endpoints and decisions.
    case model
    /// The nftables transaction proxyd would apply.
    case nft
}

/// One entry of `--nodeport-addresses`, as typed.
enum NodePortAddressSelectorArgument: Sendable, Hashable {
    case primary
    case cidr(String)
}
