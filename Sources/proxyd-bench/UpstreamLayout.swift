/// kube-proxy's nftables layout for a generated cluster, as the reference point for the kernel's cost: one
/// chain per Service with `numgen random mod N vmap { … }` (an anonymous set per Service) and one chain per
/// endpoint, dispatched from one `service-ips` verdict map. Written from the reference's description, not
/// from kube-proxy's code.
enum UpstreamLayout {
    static func ruleset(_ cluster: GeneratedCluster) -> String {
        var lines = [
            "add table ip kube-proxy",
            "add chain ip kube-proxy mark-for-masquerade",
            "add rule ip kube-proxy mark-for-masquerade mark set mark or 0x4000",
            "add map ip kube-proxy service-ips { type ipv4_addr . inet_proto . inet_service : verdict ; }",
            "add chain ip kube-proxy services",
            "add rule ip kube-proxy services ip daddr . meta l4proto . th dport vmap @service-ips",
            "add chain ip kube-proxy nat-prerouting { type nat hook prerouting priority dstnat ; }",
            "add rule ip kube-proxy nat-prerouting jump services",
        ]
        var elements: [String] = []
        for index in 0..<cluster.services {
            let service = "service-\(index)-ns/svc/tcp/http"
            let clusterIP = GeneratedCluster.clusterIP(index)
            lines.append("add chain ip kube-proxy \(service)")
            lines.append("add rule ip kube-proxy \(service) ip daddr \(clusterIP) tcp dport 80 ip saddr != 10.0.0.0/8 jump mark-for-masquerade")
            var verdicts: [String] = []
            for slot in 0..<cluster.endpoints {
                let address = GeneratedCluster.endpointIP(index * cluster.endpoints + slot)
                let endpoint = "endpoint-\(index)-\(slot)"
                lines.append("add chain ip kube-proxy \(endpoint)")
                lines.append("add rule ip kube-proxy \(endpoint) ip saddr \(address) jump mark-for-masquerade")
                lines.append("add rule ip kube-proxy \(endpoint) meta l4proto tcp dnat to \(address):8080")
                verdicts.append("\(slot) : goto \(endpoint)")
            }
            lines.append("add rule ip kube-proxy \(service) numgen random mod \(cluster.endpoints) vmap { \(verdicts.joined(separator: ", ")) }")
            elements.append("\(clusterIP) . tcp . 80 : goto \(service)")
        }
        lines.append("add element ip kube-proxy service-ips { \(elements.joined(separator: ", ")) }")
        return lines.joined(separator: "\n") + "\n"
    }
}
