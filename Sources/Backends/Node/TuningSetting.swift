/// One kernel setting node tuning asks for: a file (a sysctl under the sysctl root, or a module parameter) and
/// the value it should hold.
public struct TuningSetting: Sendable, Hashable, CustomStringConvertible {
    public enum Location: Sendable, Hashable {
        /// A sysctl, as a path below the sysctl root (`net/netfilter/nf_conntrack_max`).
        case sysctl(String)
        /// nf_conntrack's `hashsize` module parameter (`/sys/module/nf_conntrack/parameters/hashsize`).
        case conntrackHashsize
    }

    public enum Rule: Sendable, Hashable {
        /// Written whenever the current value differs.
        case exactly
        /// Written only when the current value is smaller (never shrink what an operator made larger).
        case atLeast
    }

    public var location: Location
    public var value: Int
    public var rule: Rule

    public init(_ location: Location, _ value: Int, rule: Rule = .exactly) {
        self.location = location
        self.value = value
        self.rule = rule
    }

    /// Whether a file holding `current` must be written (always when it could not be read).
    public func needsWrite(current: Int?) -> Bool {
        guard let current else { return true }
        switch rule {
        case .exactly: return current != value
        case .atLeast: return current < value
        }
    }

    /// The kernel module that provides the setting, when one must be loaded for its file to exist.
    public var module: String? {
        switch location {
        case .sysctl(let path) where path.hasPrefix("net/netfilter/"): "nf_conntrack"
        case .sysctl(let path) where path.hasPrefix("net/ipv4/vs/"): "ip_vs"
        case .sysctl: nil
        case .conntrackHashsize: "nf_conntrack"
        }
    }

    /// `net.netfilter.nf_conntrack_max`, or `nf_conntrack hashsize`.
    public var name: String {
        switch location {
        case .sysctl(let path): String(path.map { $0 == "/" ? "." : $0 })
        case .conntrackHashsize: "nf_conntrack hashsize"
        }
    }

    public var description: String { "\(name)\(rule == .atLeast ? " >= " : " = ")\(value)" }
}
