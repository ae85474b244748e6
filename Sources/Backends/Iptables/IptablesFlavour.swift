/// Which iptables implementation programs the kernel: `nft` (iptables-nft, rules in nf_tables tables named like
/// the xtables ones) or `legacy` (the xtables kernel tables). Both may be installed; rules must go where the
/// node's other components put theirs, or the two sets of rules would be evaluated separately.
public enum IptablesFlavour: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case nft
    case legacy

    public var description: String { rawValue }

    /// What the node's tables say, as kube-proxy's image decides it (kubernetes-sigs/iptables-wrappers), step one:
    /// kubelet's marker chains (`KUBE-IPTABLES-HINT`, `KUBE-KUBELET-CANARY`) name the flavour kubelet uses. Nil
    /// when they do not decide: then `decide(nftDump:legacyDump:)` counts rules.
    ///
    /// - Parameters:
    ///   - nftMangle: `iptables-nft-save -t mangle` and `ip6tables-nft-save -t mangle` output.
    ///   - legacyDump: `iptables-legacy-save` and `ip6tables-legacy-save` output (all tables: asking the legacy
    ///     commands for one table would create it); nil when legacy xtables are not in use in this network
    ///     namespace (no legacy table exists), which decides for nft.
    public static func decide(nftMangle: String, legacyDump: String?) -> IptablesFlavour? {
        guard let legacyDump else { return .nft }
        if hasKubeletMarkers(nftMangle) { return .nft }
        if hasKubeletMarkers(legacyDump) { return .legacy }
        return nil
    }

    /// Step two: the flavour holding more rules wins; a tie (nothing anywhere) is nft.
    public static func decide(nftDump: String, legacyDump: String) -> IptablesFlavour {
        ruleCount(legacyDump) > ruleCount(nftDump) ? .legacy : .nft
    }

    static func hasKubeletMarkers(_ dump: String) -> Bool {
        dump.split(whereSeparator: \.isNewline).contains { $0.hasPrefix(":KUBE-IPTABLES-HINT") || $0.hasPrefix(":KUBE-KUBELET-CANARY") }
    }

    /// Rules in a dump (lines starting with `-`).
    static func ruleCount(_ dump: String) -> Int {
        dump.split(whereSeparator: \.isNewline).count { $0.hasPrefix("-") }
    }
}
