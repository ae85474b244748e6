/// A rule proxyd adds to a built-in chain (`PREROUTING`, `INPUT`, …) to send traffic into one of its own chains:
/// the only rules it puts outside its own chains.
///
/// - Important: The list and its order are kube-proxy's (`iptablesJumpChains`, then kubelet's firewall jumps):
///   each missing jump is inserted at the top of its built-in chain in this order, so the last one listed for a
///   chain ends up first, as with kube-proxy.
struct IptablesJump: Sendable, Hashable {
    /// `filter` or `nat`.
    let table: String
    /// The built-in chain.
    let chain: String
    /// The rule after `-A CHAIN `, ending in `-j TARGET`.
    let spec: String
    /// The chain of proxyd's it jumps to.
    let target: String

    /// The jumps a family needs; the localnet firewall only where localhost NodePorts are served.
    static func required(localnetFirewall: Bool) -> [IptablesJump] {
        func jump(_ table: String, _ chain: String, _ target: String, _ comment: String?, _ extra: String = "") -> IptablesJump {
            var spec = extra
            if let comment { spec += (spec.isEmpty ? "" : " ") + IptablesComment(comment).match }
            spec += (spec.isEmpty ? "" : " ") + "-j \(target)"
            return IptablesJump(table: table, chain: chain, spec: spec, target: target)
        }
        let new = "-m conntrack --ctstate NEW"
        var jumps = [
            jump("filter", "INPUT", IptablesNames.externalServices, "kubernetes externally-visible service portals", new),
            jump("filter", "FORWARD", IptablesNames.externalServices, "kubernetes externally-visible service portals", new),
            jump("filter", "INPUT", IptablesNames.nodePorts, "kubernetes health check service ports"),
            jump("filter", "FORWARD", IptablesNames.services, "kubernetes service portals", new),
            jump("filter", "OUTPUT", IptablesNames.services, "kubernetes service portals", new),
            jump("filter", "FORWARD", IptablesNames.forward, "kubernetes forwarding rules"),
            jump("filter", "INPUT", IptablesNames.proxyFirewall, "kubernetes load balancer firewall", new),
            jump("filter", "OUTPUT", IptablesNames.proxyFirewall, "kubernetes load balancer firewall", new),
            jump("filter", "FORWARD", IptablesNames.proxyFirewall, "kubernetes load balancer firewall", new),
            jump("nat", "OUTPUT", IptablesNames.services, "kubernetes service portals"),
            jump("nat", "PREROUTING", IptablesNames.services, "kubernetes service portals"),
            jump("nat", "POSTROUTING", IptablesNames.postrouting, "kubernetes postrouting rules"),
        ]
        if localnetFirewall {
            jumps += [
                jump("filter", "INPUT", IptablesNames.localnetFirewall, nil),
                jump("filter", "OUTPUT", IptablesNames.localnetFirewall, nil),
            ]
        }
        return jumps
    }

    /// The built-in chains of the tables proxyd uses.
    static let builtinChains: Set<String> = ["PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"]
}
