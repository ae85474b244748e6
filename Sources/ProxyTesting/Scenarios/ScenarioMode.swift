/// The proxy mode a scenario runs against: the same table, the same expectations, except where kube-proxy's
/// modes differ on purpose (NodePort addresses by default, unused ClusterIP ports).
public enum ScenarioMode: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case nftables
    case iptables

    public var description: String { rawValue }

    /// The proxyd flags that select the mode.
    public var flags: [String] { ["--proxy-mode", rawValue] }
}
