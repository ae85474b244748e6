import ArgumentParser

/// Which iptables implementation the iptables mode uses (`--iptables-flavour`).
public enum IptablesFlavourOption: String, CaseIterable, Sendable, ExpressibleByArgument {
    /// The one the node's rules are in, detected as kube-proxy's image does.
    case auto
    case nft
    case legacy
}
