import ServiceModel

/// The hosts proxyd's HTTP servers bind, given the addresses this node has. Pure.
///
/// Hummingbird binds a host through `getaddrinfo`, which refuses an address of a family the node has no
/// (non-loopback) address of: `::` on an IPv4-only node fails with "Address family for hostname not
/// supported". So a wildcard is picked by the families present, as Go's listener picks it for kube-proxy:
/// `::` (dual-stack, every address of both families) where the node has IPv6, else `0.0.0.0`.
public enum ListenHosts {
    public static let ipv4Wildcard = "0.0.0.0"
    public static let ipv6Wildcard = "::"

    /// Whether `getaddrinfo` sees `family` on this node: an address of it other than loopback.
    public static func has(_ family: IPFamily, _ localAddresses: [IPAddress]) -> Bool {
        localAddresses.contains { $0.family == family && !$0.isLoopback }
    }

    /// The host to bind for the host of a bind address (`--healthz-bind-address`, `--metrics-bind-address`): a
    /// wildcard means every address of every family, as it does for kube-proxy; any other address is bound as given.
    public static func host(for host: String, localAddresses: [IPAddress]) -> String {
        guard [ipv4Wildcard, ipv6Wildcard].contains(host) else { return host }
        return has(.ipv6, localAddresses) ? ipv6Wildcard : ipv4Wildcard
    }

    /// Where the health-check node ports listen: the NodePort addresses of every served family, as kube-proxy
    /// listens on each `nodePortAddresses` address (`pkg/proxy/healthcheck/service_health.go`).
    ///
    /// A family served on all local addresses is served by a wildcard: both (or IPv6 alone) by `::`, which also
    /// answers IPv4; IPv4 alone by `0.0.0.0` next to the IPv6 addresses. A family the node has no address of
    /// gets no wildcard, since binding it would fail. The result is sorted and free of duplicates.
    public static func healthCheck(nodePortAddresses: [IPFamily: NodePortAddressSet], localAddresses: [IPAddress]) -> [String] {
        var wildcardFamilies = Set<IPFamily>()
        var addresses = Set<IPAddress>()
        for (family, set) in nodePortAddresses {
            switch set {
            case .allLocal: wildcardFamilies.insert(family)
            case .addresses(let list): addresses.formUnion(list)
            }
        }
        if wildcardFamilies.contains(.ipv6), has(.ipv6, localAddresses) {
            return [ipv6Wildcard]
        }
        if wildcardFamilies.contains(.ipv4), has(.ipv4, localAddresses) {
            // `0.0.0.0` answers every IPv4 address; only the IPv6 addresses need their own listeners.
            return [ipv4Wildcard] + addresses.filter { $0.family == .ipv6 }.sorted().map(\.description)
        }
        return addresses.sorted().map(\.description)
    }
}
