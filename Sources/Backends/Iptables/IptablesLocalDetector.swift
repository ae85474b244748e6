import ServiceModel

/// The match arguments that tell traffic from this node's pods apart (`--detect-local-mode`), as kube-proxy's
/// `IfLocal()` / `IfNotLocal()` write them.
struct IptablesLocalDetector: Sendable, Hashable {
    /// `-s 10.244.0.0/16`, `-i cni0`, `-i veth+`.
    let ifLocal: String
    /// The negation: `! -s 10.244.0.0/16`, …
    let ifNotLocal: String

    /// The detector for `detector`, nil when local traffic cannot be told apart (nothing is masqueraded by
    /// source then, as in kube-proxy), plus a warning when something given cannot be used as it is.
    ///
    /// iptables takes one source prefix per match: with several prefixes for one family (which Kubernetes does
    /// not produce) the first is used, so pods in the others are masqueraded when they need not be — traffic
    /// still flows.
    static func make(_ detector: LocalTrafficDetector) -> (IptablesLocalDetector?, [String]) {
        switch detector {
        case .none:
            return (nil, [])
        case .sourceCIDRs(let cidrs):
            guard let first = cidrs.first else { return (nil, []) }
            let warnings = cidrs.count > 1
                ? ["local traffic detection: iptables matches one source prefix; using \(first) and treating \(cidrs.dropFirst().map(\.description).joined(separator: ", ")) as outside the node"]
                : []
            return (IptablesLocalDetector(ifLocal: "-s \(first)", ifNotLocal: "! -s \(first)"), warnings)
        case .interfaceName(let name):
            guard isInterfaceName(name) else { return (nil, [badInterface(name)]) }
            return (IptablesLocalDetector(ifLocal: "-i \(name)", ifNotLocal: "! -i \(name)"), [])
        case .interfaceNamePrefix(let prefix):
            guard isInterfaceName(prefix) else { return (nil, [badInterface(prefix)]) }
            return (IptablesLocalDetector(ifLocal: "-i \(prefix)+", ifNotLocal: "! -i \(prefix)+"), [])
        }
    }

    /// What the kernel accepts as an interface name (at most 15 bytes, no `/`, no white space); anything else
    /// would not be one argument of a restore line.
    static func isInterfaceName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 15
            && name.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "-_.@:".unicodeScalars.contains($0)) }
    }

    private static func badInterface(_ name: String) -> String {
        "local traffic detection: \"\(name)\" is not an interface name iptables accepts (at most 15 letters, digits, -_.@:); local pod traffic cannot be told apart"
    }
}
