import ProxyTesting
import ServiceModel
import Testing

/// The lab's plan is deterministic and stays inside its namespaces. Pure: no root needed.
struct LabTopologyTests {
    let topology = LabTopology(labID: "abc123", spec: LabSpec(pods: ["web-1", "web-2"], remotePods: ["web-r"]))

    @Test("names and addresses follow from the spec")
    func deterministicNamesAndAddresses() {
        #expect(topology.node.namespace == "pxl-abc123-node")
        #expect(topology.client.namespace == "pxl-abc123-client")
        #expect(topology.remoteNode?.namespace == "pxl-abc123-remote")
        #expect(topology.switchNamespace == "pxl-abc123-net")
        #expect(topology.pods.map(\.namespace) == ["pxl-abc123-pod-web-1", "pxl-abc123-pod-web-2"])

        #expect(topology.node.ipv4 == "172.18.0.2")
        #expect(topology.node.ipv6 == "fd00:172:18::2")
        #expect(topology.remoteNode?.ipv4 == "172.18.0.3")
        #expect(topology.client.ipv4 == "172.18.0.100")
        #expect(topology.client.ipv6 == "fd00:172:18::100")
        #expect(topology.pods.map(\.ipv4) == ["10.244.0.11", "10.244.0.12"])
        #expect(topology.pods.map(\.ipv6) == ["fd00:10:244::11", "fd00:10:244::12"])
        #expect(topology.remotePods.map(\.ipv4) == ["10.244.1.11"])
        #expect(topology.remotePods.map(\.ipv6) == ["fd00:10:244:1::11"])
        #expect(topology.node.addresses.contains("10.244.0.1"))
        #expect(topology.node.addresses.contains(LabTopology.nodeSecondaryIPv4))

        // Same spec and ID, same lab.
        let again = LabTopology(labID: "abc123", spec: topology.spec)
        #expect(again.hosts == topology.hosts)
        #expect(again.setupPlan == topology.setupPlan)
    }

    @Test("pods are inside the cluster CIDR, node and client on the node network")
    func addressesInTheirNetworks() {
        for pod in topology.pods + topology.remotePods {
            #expect(LabTopology.clusterCIDRIPv4.contains(pod.ipv4))
            #expect(LabTopology.clusterCIDRIPv6.contains(pod.ipv6))
        }
        for host in [topology.node, topology.client, topology.remoteNode!] {
            #expect(LabTopology.nodeNetworkIPv4.contains(host.ipv4))
            #expect(LabTopology.nodeNetworkIPv6.contains(host.ipv6))
        }
        #expect(LabTopology.podCIDR(node: 1, .ipv6).contains(topology.remotePods[0].ipv6))
    }

    @Test("every command runs in a lab namespace and every veth peer lands in one")
    func planStaysInsideTheLab() {
        let plan = topology.setupPlan
        let namespaces = Set(topology.namespaces)
        #expect(Set(plan.namespaces) == namespaces)
        for batch in plan.sysctls + plan.links + plan.addressing {
            #expect(namespaces.contains(batch.namespace), "\(batch.namespace)")
        }
        let linkLines: [String] = plan.links.flatMap(\.lines)
        let veths = linkLines.filter { $0.contains("type veth") }
        #expect(veths.count == 3 + 3, "3 node-network ports + 3 pods")
        for line in veths {
            let words = line.split(separator: " ").map(String.init)
            let peerNamespace = words.firstIndex(of: "netns").map { String(words[$0 + 1]) }
            #expect(peerNamespace.map { namespaces.contains($0) } == true, "\(line)")
            #expect(words.contains("name"), "always `name X`: `ip link add a …` would parse `a` as `address`")
        }
    }

    @Test("forwarding only on the node and the remote node")
    func forwardingOnlyOnNodes() {
        for batch in topology.setupPlan.sysctls {
            let forwards = batch.lines.contains("net.ipv4.ip_forward=1")
            #expect(forwards == (batch.namespace == topology.node.namespace || batch.namespace == topology.remoteNode?.namespace))
            #expect(batch.lines.contains("net.ipv6.conf.default.accept_dad=0"))
        }
    }

    @Test("a lab without remote pods has no remote node and no route to one")
    func noRemoteNode() {
        let local = LabTopology(labID: "abc123", spec: LabSpec(pods: ["web-1"]))
        #expect(local.remoteNode == nil)
        #expect(!local.namespaces.contains("pxl-abc123-remote"))
        let nodeLines = local.setupPlan.addressing.first { $0.namespace == local.node.namespace }?.lines ?? []
        #expect(!nodeLines.contains { $0.contains("10.244.1.0/24") })
    }

    @Test("an IPv4-only node has IPv6 disabled and no IPv6 address or route; the other hosts keep both families")
    func ipv4OnlyNode() {
        let lab = LabTopology(labID: "abc123", spec: LabSpec(pods: ["web-1"], remotePods: ["web-r"], ipv4OnlyNode: true))
        let plan = lab.setupPlan
        let nodeSysctls = plan.sysctls.first { $0.namespace == lab.node.namespace }?.lines ?? []
        #expect(nodeSysctls.contains("net.ipv6.conf.all.disable_ipv6=1") && nodeSysctls.contains("net.ipv6.conf.default.disable_ipv6=1"))
        let nodeLines = plan.addressing.first { $0.namespace == lab.node.namespace }?.lines ?? []
        #expect(!nodeLines.isEmpty && !nodeLines.contains { $0.contains("fd00:") }, "\(nodeLines)")
        #expect(nodeLines.contains("addr add 172.18.0.2/24 dev eth0") && nodeLines.contains("route add default via 172.18.0.100"))
        for batch in plan.sysctls where batch.namespace != lab.node.namespace && batch.namespace != lab.switchNamespace {
            #expect(!batch.lines.contains("net.ipv6.conf.all.disable_ipv6=1"), "\(batch.namespace)")
        }
        let remoteLines = plan.addressing.first { $0.namespace == lab.remoteNode?.namespace }?.lines ?? []
        #expect(remoteLines.contains { $0.hasPrefix("addr add fd00:172:18::3/") })
    }

    @Test("invalid specs are refused with a reason", arguments: [
        LabSpec(pods: ["web-1", "web-1"]),
        LabSpec(pods: ["web-1"], remotePods: ["web-1"]),
        LabSpec(pods: ["Web"]),
        LabSpec(pods: [""]),
        LabSpec(pods: ["a/b"]),
    ])
    func invalidSpecs(spec: LabSpec) {
        #expect(throws: LabError.self) { try spec.validate() }
    }
}
