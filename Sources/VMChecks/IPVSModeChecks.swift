import Backends
import ProxyTesting
import ServiceModel

/// IPVS mode whole, short of the runner: virtual servers from the planner, ipsets and iptables rules from their
/// renderers, the IPVS sysctls, all applied through the real drivers to a lab node in the VM — then real connections
/// from outside the cluster, from pods and from the node, checked as the scenario table checks them
/// (`ScenarioRunner.verify`: who answered, what source the server saw, what conntrack recorded).
enum IPVSModeChecks {
    static let all = [traffic]

    /// The Services of the check, in one family (the scenario table's addresses).
    static func objects(_ a: ScenarioAddresses, internalLocalEndpoints: [String] = ["web-r"]) -> [KubernetesObject] {
        func loadBalancer(_ name: String, _ n: Int, nodePort: Int, ranges: [String]? = nil, local: Bool = false) -> KubernetesObject {
            a.service(name, clusterIP: n, type: "LoadBalancer", ports: [.tcp(80, name: "http", nodePort: nodePort)]) {
                $0.status = .init(loadBalancer: .init(ingress: [.init(ip: a.loadBalancerIP(n))]))
                $0.spec.loadBalancerSourceRanges = ranges
                if local {
                    $0.spec.externalTrafficPolicy = "Local"
                    $0.spec.healthCheckNodePort = 32000 + n
                }
            }
        }
        return a.nodes + [
            a.service("web", clusterIP: 10), a.slice("web", ready: ["web-1", "web-r"]),
            a.service("hairpin", clusterIP: 25), a.slice("hairpin", ready: ["web-1"]),
            a.service("np", clusterIP: 11, type: "NodePort", ports: [.tcp(80, name: "http", nodePort: 30080)]),
            a.slice("np", ready: ["web-1", "web-r"]),
            loadBalancer("open", 13, nodePort: 30082, ranges: [a.clientRange]), a.slice("open", ready: ["web-1"]),
            loadBalancer("closed", 14, nodePort: 30083, ranges: [a.otherRange]), a.slice("closed", ready: ["web-1"]),
            loadBalancer("nodes", 15, nodePort: 30084, ranges: [a.nodeNetwork]), a.slice("nodes", ready: ["web-1"]),
            loadBalancer("local", 16, nodePort: 30085, local: true), a.slice("local", ready: ["web-r"]),
            a.service("itl", clusterIP: 17) { $0.spec.internalTrafficPolicy = "Local" },
            a.slice("itl", ready: internalLocalEndpoints),
            a.service("empty", clusterIP: 18, type: "LoadBalancer", ports: [.tcp(80, name: "http", nodePort: 30086), .udp(53, name: "dns", nodePort: 30087)]) {
                $0.status = .init(loadBalancer: .init(ingress: [.init(ip: a.loadBalancerIP(18))]))
            },
        ]
    }

    /// What must happen, per family.
    static func checks(_ a: ScenarioAddresses) -> [PacketCheck] {
        let web = a.ip(a.clusterIP(10))
        let both: Set<String> = ["web-1", "web-r"]
        return [
            // Masquerade: from outside the pod network (and the node) yes, from pods no.
            PacketCheck(from: .client, to: web, port: 80, expect: .reaches(both, .masqueraded), count: 2),
            PacketCheck(from: .pod("web-2"), to: web, port: 80, expect: .reaches(both, .preserved), count: 2),
            PacketCheck(from: .node, to: web, port: 80, expect: .reaches(both, .masqueraded), count: 2),
            // Hairpin: an endpoint reaching itself through its Service.
            PacketCheck(from: .pod("web-1"), to: a.ip(a.clusterIP(25)), port: 80, expect: .reaches(["web-1"], .masqueraded)),
            // A NodePort from outside.
            PacketCheck(from: .client, to: a.node, port: 30080, expect: .reaches(both, .masqueraded), count: 2),
            // Source ranges: the listed client passes, others are dropped (the node too), the NodePort is not filtered;
            // a range holding the node admits the node.
            PacketCheck(from: .client, to: a.ip(a.loadBalancerIP(13)), port: 80, expect: .reaches(["web-1"], .masqueraded)),
            PacketCheck(from: .client, to: a.ip(a.loadBalancerIP(14)), port: 80, expect: .dropped),
            PacketCheck(from: .node, to: a.ip(a.loadBalancerIP(14)), port: 80, expect: .dropped),
            PacketCheck(from: .client, to: a.node, port: 30083, expect: .reaches(["web-1"], .masqueraded)),
            PacketCheck(from: .node, to: a.ip(a.loadBalancerIP(15)), port: 80, expect: .reaches(["web-1"], .masqueraded)),
            // externalTrafficPolicy Local without a local endpoint: outside traffic dropped, pods and the node served,
            // a remote endpoint reaching itself through this node masqueraded.
            PacketCheck(from: .client, to: a.ip(a.loadBalancerIP(16)), port: 80, expect: .dropped),
            PacketCheck(from: .client, to: a.node, port: 30085, expect: .dropped),
            PacketCheck(from: .pod("web-1"), to: a.ip(a.loadBalancerIP(16)), port: 80, expect: .reaches(["web-r"], .preserved)),
            PacketCheck(from: .node, to: a.ip(a.loadBalancerIP(16)), port: 80, expect: .reaches(["web-r"], .masqueraded)),
            PacketCheck(from: .pod("web-r"), to: a.node, port: 30085, expect: .reaches(["web-r"], .masqueraded)),
            // internalTrafficPolicy Local without a local endpoint: dropped.
            PacketCheck(from: .pod("web-1"), to: a.ip(a.clusterIP(17)), port: 80, expect: .dropped),
            // No endpoints: refused everywhere (IPVS answers for a virtual server without real servers).
            PacketCheck(from: .pod("web-1"), to: a.ip(a.clusterIP(18)), port: 80, expect: .refused),
            PacketCheck(from: .node, to: a.ip(a.clusterIP(18)), port: 80, expect: .refused),
            PacketCheck(from: .client, to: a.node, port: 30086, expect: .refused),
            PacketCheck(from: .client, to: a.ip(a.loadBalancerIP(18)), port: 80, expect: .refused),
            PacketCheck(from: .client, to: a.node, port: 30087, .udp, expect: .refused),
            // A port no Service uses on a Service address: refused, not the node's own listener.
            PacketCheck(from: .pod("web-2"), to: web, port: 81, expect: .refused),
        ]
    }

    static let configuration = ProxyConfiguration(
        nodeName: ServiceScenario.nodeName, clusterCIDRs: [LabTopology.clusterCIDRIPv4, LabTopology.clusterCIDRIPv6], nodePortAddresses: [])

    static func state(_ objects: [KubernetesObject], _ family: IPFamily) -> DesiredState {
        let snapshot = ClusterSnapshot(objects)
        let node = NodeContext(snapshot: snapshot, nodeName: ServiceScenario.nodeName, localAddresses: [])
        return ProxyModel(configuration: configuration).desiredState(for: family, snapshot: snapshot, node: node).state
    }

    static let traffic = VMCheck(
        "IPVS mode with its ipsets and iptables rules: masquerade, hairpin, NodePort, source ranges, Local policies' drops, rejects",
        timeout: .seconds(600)
    ) { check in
        try await NetworkLab.with(ServiceScenario.labSpec) { lab in
            for pod in lab.pods + lab.remotePods { _ = try await lab.serve(in: pod, tcp: [8080], udp: [8080]) }
            let namespace = "/run/netns/\(lab.node.namespace)"
            let ipvs = try await IPVSDriver(networkNamespace: namespace)
            let ipset = try IPSetDriver(networkNamespace: namespace)
            let iptables = try IptablesDriver(flavour: .nft, networkNamespace: namespace)

            // The IPVS sysctls, as proxyd sets them (conntrack=1 is what lets the nat rules see IPVS's connections).
            let thread = try await KernelThread(name: "ipvs-mode-tuning", networkNamespace: namespace)
            let tuning = try await thread.perform { NodeTuningApplier().apply(IPVSNodeTuning.settings(strictARP: false)) }
            thread.stop()
            check.expect(tuning.warnings.isEmpty, "\(tuning.warnings)")

            // A full sync per family, in the order the wiring must keep: sets, rules, virtual servers.
            var committed: [IPFamily: (DesiredState, IPVSIPSetContents, IPVSCommittedState)] = [:]
            for family in IPFamily.allCases {
                let state = state(objects(ScenarioAddresses(family)), family)
                let planner = IPVSPlanner(settings: IPVSSettings(), for: state, localAddresses: lab.node.addresses)
                let sets = IPVSIPSetRenderer(planner: planner).full(state, listing: try await ipset.listing())
                try await ipset.restore(sets.restore)
                let (rules, warnings) = IPVSIptablesRenderer().render(family, node: state.node, listing: try await iptables.listing(family))
                check.expect(warnings.isEmpty, "\(warnings)")
                try await iptables.restore(rules)
                let plan = planner.plan(state, kernel: try await ipvs.kernelState(family: family))
                try await ipvs.apply(plan.operations)
                committed[family] = (state, sets.contents, plan.committed)
            }

            var failed = false
            for family in IPFamily.allCases {
                var failures: [String] = []
                for packetCheck in checks(ScenarioAddresses(family)) { failures += try await ScenarioRunner.verify(packetCheck, in: lab) }
                check.expect(failures.isEmpty, "\(family):\n" + failures.joined(separator: "\n"))
                failed = failed || !failures.isEmpty
            }
            if failed {
                let save = try await lab.exec(in: lab.node, ["iptables-nft-save"]).stdout
                let sets = try await lab.exec(in: lab.node, ["ipset", "save"]).stdout
                check.note("iptables-save in the lab node:\n\(save)\nipset save:\n\(sets)\nipvsadm -Ln:\n" + (try await Ipvsadm.list(in: lab)).joined(separator: "\n"))
            }

            // A partial sync: itl's endpoint moves to this node; the drop entry goes, the real server comes.
            let a = ScenarioAddresses(.ipv4)
            let (before, contents, table) = try check.require(committed[.ipv4], "no IPv4 sync")
            let after = state(objects(a, internalLocalEndpoints: ["web-2"]), .ipv4)
            let diff = DesiredStateDiff(from: before, to: after)
            var sets = contents
            let planner = IPVSPlanner(settings: IPVSSettings(), for: after, localAddresses: lab.node.addresses)
            let input = try check.require(IPVSIPSetRenderer(planner: planner).partial(diff, committed: &sets), "no partial ipset sync")
            check.expect(input.text.contains("del PROXYD-CLUSTER-IP-DROP 10.96.0.17,tcp:80 -exist"), input.text)
            let plan = try check.require(planner.plan(diff, state: after, committed: table), "no partial IPVS plan")
            try await ipset.restore(input)
            try await ipvs.apply(plan.operations)
            let moved = try await ScenarioRunner.verify(
                PacketCheck(from: .pod("web-1"), to: a.ip(a.clusterIP(17)), port: 80, expect: .reaches(["web-2"], .preserved)), in: lab)
            check.expect(moved.isEmpty, moved.joined(separator: "\n"))
        }
    }
}
