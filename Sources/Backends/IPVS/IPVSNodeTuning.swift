/// The kernel settings IPVS mode needs, as data a runner applies with `NodeTuningApplier.apply(_:)` (kube-proxy's
/// IPVS proxier sets the same):
///
/// - `net.ipv4.vs.conntrack = 1`: IPVS keeps conntrack entries for its connections, so the iptables masquerade
///   and filter rules of IPVS mode see them;
/// - `net.ipv4.vs.expire_nodest_conn = 1`: a connection whose real server was deleted is dropped on its next
///   packet instead of hanging (UDP real servers and deleted virtual servers rely on it);
/// - `net.ipv4.vs.expire_quiescent_template = 1`: persistence templates of a drained (weight 0) real server expire,
///   so ClientIP affinity moves clients on;
/// - `net.ipv4.ip_forward = 1`: masquerade real servers are reached by forwarding;
/// - with strict ARP, `net.ipv4.conf.all.arp_ignore = 1` and `arp_announce = 2`: the node answers ARP only for
///   addresses of the asking interface, so Service addresses on the dummy interface are not claimed on the network
///   (needed with MetalLB in L2 mode and similar).
///
/// The `net/ipv4/vs/` files exist once the `ip_vs` module is loaded; all are per network namespace.
public enum IPVSNodeTuning {
    public static func settings(strictARP: Bool) -> [TuningSetting] {
        var settings = [
            TuningSetting(.sysctl("net/ipv4/vs/conntrack"), 1),
            TuningSetting(.sysctl("net/ipv4/vs/expire_nodest_conn"), 1),
            TuningSetting(.sysctl("net/ipv4/vs/expire_quiescent_template"), 1),
            TuningSetting(.sysctl("net/ipv4/ip_forward"), 1),
        ]
        if strictARP {
            settings.append(TuningSetting(.sysctl("net/ipv4/conf/all/arp_ignore"), 1))
            settings.append(TuningSetting(.sysctl("net/ipv4/conf/all/arp_announce"), 2))
        }
        return settings
    }
}
