import ServiceModel

/// The scenario table every backend must pass: every Service behaviour, as packets observe it.
///
/// One table for every mode: where kube-proxy's modes differ on purpose, the expectation says so.
public enum ServiceScenarios {
    /// All scenarios for both families in one mode.
    public static func all(_ mode: ScenarioMode) -> [ServiceScenario] {
        IPFamily.allCases.flatMap { scenarios(for: $0, mode: mode) }
    }

    public static func scenarios(for family: IPFamily, mode: ScenarioMode) -> [ServiceScenario] {
        let a = ScenarioAddresses(family)
        var list: [ServiceScenario] = []
        func add(_ name: String, _ objects: [KubernetesObject], flags: [String] = [], only: ScenarioMode? = nil, _ checks: [PacketCheck]) {
            if let only, only != mode { return }
            list.append(ServiceScenario(name, family: family, mode: mode, objects: a.nodes + objects, flags: flags, checks: checks))
        }
        let web = [a.service("web", clusterIP: 10), a.slice("web", ready: ["web-1", "web-r"])]
        let webIP = a.ip(a.clusterIP(10))

        add("ClusterIP from a pod reaches every endpoint and keeps the pod's address", web, [
            PacketCheck(from: .pod("web-2"), to: webIP, port: 80, expect: .reaches(["web-1", "web-r"], .preserved)),
        ])
        add("ClusterIP from outside the cluster is masqueraded", web, [
            PacketCheck(from: .client, to: webIP, port: 80, expect: .reaches(["web-1", "web-r"], .masqueraded)),
        ])
        add("ClusterIP from the node itself works (output hook)", web, [
            PacketCheck(from: .node, to: webIP, port: 80, expect: .reaches(["web-1", "web-r"], .masqueraded)),
        ])
        add("hairpin: an endpoint reaching itself through its Service is masqueraded", [
            a.service("web", clusterIP: 10), a.slice("web", ready: ["web-1"]),
        ], [
            PacketCheck(from: .pod("web-1"), to: webIP, port: 80, expect: .reaches(["web-1"], .masqueraded)),
        ])
        add("hairpin: an endpoint whose slice names no node is masqueraded when it reaches itself", [
            a.service("web", clusterIP: 10),
            .endpointSlice(Fixtures.slice(
                "default/web-\(family.rawValue.lowercased())", service: "web", addressType: a.addressType,
                ports: [.init(name: "http", protocol: "TCP", port: 8080)],
                endpoints: [EndpointSlice.Endpoint(addresses: [a.pod("web-1").description])])),
        ], [
            PacketCheck(from: .pod("web-1"), to: webIP, port: 80, expect: .reaches(["web-1"], .masqueraded)),
        ])
        add("a Service port maps to the endpoints' target port", [
            a.service("web", clusterIP: 10),
            a.slice("web", ready: ["web-1"], ports: [.init(name: "http", protocol: "TCP", port: 9090)]),
        ], [
            PacketCheck(from: .pod("web-2"), to: webIP, port: 80, expect: .reaches(["web-1"], .preserved)),
        ])
        // kube-proxy's nftables mode rejects these; its iptables mode leaves them to routing.
        add("an unused port of a known ClusterIP is refused", web, only: .nftables, [
            PacketCheck(from: .pod("web-2"), to: webIP, port: 81, expect: .refused),
            PacketCheck(from: .node, to: webIP, port: 81, expect: .refused),
        ])

        let nodePortService = [
            a.service("np", clusterIP: 11, type: "NodePort", ports: [.tcp(80, name: "http", nodePort: 30080)]),
            a.slice("np", ready: ["web-1", "web-r"]),
        ]
        // By default nftables mode serves NodePorts on the node's primary IPs, iptables mode on every local address.
        add("NodePort from outside is masqueraded, on the primary IP only (nftables) or every local address (iptables)", nodePortService, [
            PacketCheck(from: .client, to: a.node, port: 30080, expect: .reaches(["web-1", "web-r"], .masqueraded)),
            PacketCheck(
                from: .client, to: a.nodeSecondary, port: 30080,
                expect: mode == .nftables ? .refused : .reaches(["web-1", "web-r"], .masqueraded)),
            PacketCheck(from: .node, to: a.node, port: 30080, expect: .reaches(["web-1", "web-r"], .masqueraded)),
        ])
        add("NodePort on every local address inside --nodeport-addresses", nodePortService,
            flags: ["--nodeport-addresses", a.nodeNetwork], [
            PacketCheck(from: .client, to: a.nodeSecondary, port: 30080, expect: .reaches(["web-1", "web-r"], .masqueraded)),
        ])

        let lb = a.service("lb", clusterIP: 12, type: "LoadBalancer", ports: [.tcp(80, name: "http", nodePort: 30081)]) {
            $0.status = .init(loadBalancer: .init(ingress: [.init(ip: a.loadBalancerIP(10))]))
            $0.spec.externalIPs = [a.externalIP(10)]
        }
        add("LoadBalancer and external IPs from outside are masqueraded (externalTrafficPolicy Cluster)", [lb, a.slice("lb", ready: ["web-1", "web-r"])], [
            PacketCheck(from: .client, to: a.ip(a.loadBalancerIP(10)), port: 80, expect: .reaches(["web-1", "web-r"], .masqueraded)),
            PacketCheck(from: .client, to: a.ip(a.externalIP(10)), port: 80, expect: .reaches(["web-1", "web-r"], .masqueraded)),
            PacketCheck(from: .pod("web-2"), to: a.ip(a.loadBalancerIP(10)), port: 80, expect: .reaches(["web-1", "web-r"], .masqueraded)),
        ])

        func firewalled(_ name: String, _ n: Int, nodePort: Int, ranges: [String]) -> [KubernetesObject] {
            [
                a.service(name, clusterIP: n, type: "LoadBalancer", ports: [.tcp(80, name: "http", nodePort: nodePort)]) {
                    $0.status = .init(loadBalancer: .init(ingress: [.init(ip: a.loadBalancerIP(n))]))
                    $0.spec.loadBalancerSourceRanges = ranges
                },
                a.slice(name, ready: ["web-1"]),
            ]
        }
        add("loadBalancerSourceRanges admit listed sources and drop the rest; the NodePort is not filtered",
            firewalled("open", 13, nodePort: 30082, ranges: [a.clientRange]) + firewalled("closed", 14, nodePort: 30083, ranges: [a.otherRange]), [
            PacketCheck(from: .client, to: a.ip(a.loadBalancerIP(13)), port: 80, expect: .reaches(["web-1"], .masqueraded)),
            PacketCheck(from: .client, to: a.ip(a.loadBalancerIP(14)), port: 80, expect: .dropped),
            PacketCheck(from: .client, to: a.node, port: 30083, expect: .reaches(["web-1"], .masqueraded)),
            PacketCheck(from: .node, to: a.ip(a.loadBalancerIP(14)), port: 80, expect: .dropped),
        ])
        add("a source range holding the node admits the node's own traffic to its load balancer",
            firewalled("nodes", 15, nodePort: 30084, ranges: [a.nodeNetwork]), [
            PacketCheck(from: .node, to: a.ip(a.loadBalancerIP(15)), port: 80, expect: .reaches(["web-1"], .masqueraded)),
        ])

        // Nested ranges, a node IP inside one (so the LB IP joins them) and the LB IP inside one: the kernel
        // refuses overlapping intervals, so proxyd loads only the outer prefixes.
        let overlapping = family == .ipv4
            ? ["172.18.0.0/24", "172.18.0.0/16", "203.0.113.0/24"] : ["fd00:172:18::/64", "fd00:172::/32", "2001:db8:203::/48"]
        add("overlapping loadBalancerSourceRanges, with the node and the load balancer inside them, are programmed",
            firewalled("overlap", 22, nodePort: 30090, ranges: overlapping) + web, [
            PacketCheck(from: .client, to: a.ip(a.loadBalancerIP(22)), port: 80, expect: .reaches(["web-1"], .masqueraded)),
            PacketCheck(from: .node, to: a.ip(a.loadBalancerIP(22)), port: 80, expect: .reaches(["web-1"], .masqueraded)),
            PacketCheck(from: .pod("web-2"), to: webIP, port: 80, expect: .reaches(["web-1", "web-r"], .preserved)),
        ])

        func local(_ endpoints: [String]) -> [KubernetesObject] {
            [
                a.service("local", clusterIP: 16, type: "LoadBalancer", ports: [.tcp(80, name: "http", nodePort: 30085)]) {
                    $0.status = .init(loadBalancer: .init(ingress: [.init(ip: a.loadBalancerIP(16))]))
                    $0.spec.externalTrafficPolicy = "Local"
                    $0.spec.healthCheckNodePort = 32085
                },
                a.slice("local", ready: endpoints),
            ]
        }
        let localLB = a.ip(a.loadBalancerIP(16))
        add("externalTrafficPolicy Local: outside traffic keeps its source and uses local endpoints only", local(["web-1", "web-r"]), [
            PacketCheck(from: .client, to: localLB, port: 80, expect: .reaches(["web-1"], .preserved)),
            PacketCheck(from: .client, to: a.node, port: 30085, expect: .reaches(["web-1"], .preserved)),
            PacketCheck(from: .pod("web-2"), to: a.ip(a.clusterIP(16)), port: 80, expect: .reaches(["web-1", "web-r"], .preserved)),
        ])
        add("externalTrafficPolicy Local without a local endpoint drops outside traffic but short-circuits pods and the node", local(["web-r"]), [
            PacketCheck(from: .client, to: localLB, port: 80, expect: .dropped),
            PacketCheck(from: .client, to: a.node, port: 30085, expect: .dropped),
            PacketCheck(from: .pod("web-1"), to: localLB, port: 80, expect: .reaches(["web-r"], .preserved)),
            PacketCheck(from: .node, to: localLB, port: 80, expect: .reaches(["web-r"], .masqueraded)),
            PacketCheck(from: .node, to: a.node, port: 30085, expect: .reaches(["web-r"], .masqueraded)),
        ])

        add("hairpin: a pod of another node short-circuited to itself under externalTrafficPolicy Local is masqueraded", local(["web-r"]), [
            PacketCheck(from: .pod("web-r"), to: a.node, port: 30085, expect: .reaches(["web-r"], .masqueraded)),
        ])

        func internalLocal(_ endpoints: [String]) -> [KubernetesObject] {
            [a.service("itl", clusterIP: 17) { $0.spec.internalTrafficPolicy = "Local" }, a.slice("itl", ready: endpoints)]
        }
        add("internalTrafficPolicy Local uses local endpoints only", internalLocal(["web-1", "web-r"]), [
            PacketCheck(from: .pod("web-2"), to: a.ip(a.clusterIP(17)), port: 80, expect: .reaches(["web-1"], .preserved)),
        ])
        add("internalTrafficPolicy Local without a local endpoint drops", internalLocal(["web-r"]), [
            PacketCheck(from: .pod("web-1"), to: a.ip(a.clusterIP(17)), port: 80, expect: .dropped),
        ])

        add("a Service without endpoints is refused everywhere", [
            a.service("empty", clusterIP: 18, type: "LoadBalancer", ports: [.tcp(80, name: "http", nodePort: 30086), .udp(53, name: "dns", nodePort: 30087)]) {
                $0.status = .init(loadBalancer: .init(ingress: [.init(ip: a.loadBalancerIP(18))]))
            },
        ], [
            PacketCheck(from: .pod("web-1"), to: a.ip(a.clusterIP(18)), port: 80, expect: .refused),
            PacketCheck(from: .node, to: a.ip(a.clusterIP(18)), port: 80, expect: .refused),
            PacketCheck(from: .client, to: a.node, port: 30086, expect: .refused),
            PacketCheck(from: .client, to: a.ip(a.loadBalancerIP(18)), port: 80, expect: .refused),
            PacketCheck(from: .pod("web-1"), to: a.ip(a.clusterIP(18)), port: 53, .udp, expect: .refused),
            PacketCheck(from: .client, to: a.node, port: 30087, .udp, expect: .refused),
        ])

        add("ClientIP affinity keeps a client on one endpoint", [
            a.service("sticky", clusterIP: 19, type: "NodePort", ports: [.tcp(80, name: "http", nodePort: 30088)]) {
                $0.spec.sessionAffinity = "ClientIP"
                $0.spec.sessionAffinityConfig = .init(clientIP: .init(timeoutSeconds: 600))
            },
            a.slice("sticky", ready: ["web-1", "web-2", "web-r"]),
        ], [
            PacketCheck(from: .client, to: a.ip(a.clusterIP(19)), port: 80, expect: .sticksToOneOf(["web-1", "web-2", "web-r"], .masqueraded)),
            PacketCheck(from: .client, to: a.node, port: 30088, expect: .sticksToOneOf(["web-1", "web-2", "web-r"], .masqueraded)),
        ])

        add("--masquerade-all masquerades pod traffic to ClusterIPs too", web, flags: ["--masquerade-all"], [
            PacketCheck(from: .pod("web-2"), to: webIP, port: 80, expect: .reaches(["web-1", "web-r"], .masqueraded)),
        ])

        add("UDP: ClusterIP and NodePort", [
            a.service("dns", clusterIP: 20, type: "NodePort", ports: [.udp(53, name: "dns", nodePort: 30089)]),
            a.slice("dns", ready: ["web-1", "web-r"], ports: [.init(name: "dns", protocol: "UDP", port: 8080)]),
        ], [
            PacketCheck(from: .pod("web-2"), to: a.ip(a.clusterIP(20)), port: 53, .udp, expect: .reaches(["web-1", "web-r"], .preserved)),
            PacketCheck(from: .client, to: a.node, port: 30089, .udp, expect: .reaches(["web-1", "web-r"], .masqueraded)),
        ])

        add("serving-terminating endpoints are used when nothing is ready", [
            a.service("draining", clusterIP: 21),
            a.slice("draining", pods: [
                ("web-1", .init(ready: false, serving: true, terminating: true)), ("web-2", .init(ready: false, serving: false)),
            ]),
        ], [
            PacketCheck(from: .client, to: a.ip(a.clusterIP(21)), port: 80, expect: .reaches(["web-1"], .masqueraded)),
        ])

        // The longest names Kubernetes allows (63-character namespace, Service and port names) make comments
        // longer than the kernel's 128 bytes: proxyd cuts them.
        let longNamespace = String(repeating: "n", count: 63)
        let longName = String(repeating: "s", count: 63)
        let longPort = String(repeating: "p", count: 63)
        add("Services with the longest legal names are programmed", [
            .service(Fixtures.service("\(longNamespace)/\(longName)", clusterIP: a.clusterIP(23), ports: [.tcp(80, name: longPort)]) {
                $0.spec.ipFamilies = [family.rawValue]
            }),
            .endpointSlice(Fixtures.slice(
                "\(longNamespace)/\(longName)-1", service: longName, addressType: a.addressType,
                ports: [.init(name: longPort, protocol: "TCP", port: 8080)],
                endpoints: [EndpointSlice.Endpoint(addresses: [a.pod("web-1").description], nodeName: ServiceScenario.nodeName)])),
            .service(Fixtures.service("\(longNamespace)/\(longName.dropLast())x", clusterIP: a.clusterIP(24), ports: [.tcp(80, name: longPort)]) {
                $0.spec.ipFamilies = [family.rawValue]
            }),
        ], [
            PacketCheck(from: .pod("web-2"), to: a.ip(a.clusterIP(23)), port: 80, expect: .reaches(["web-1"], .preserved)),
            PacketCheck(from: .pod("web-2"), to: a.ip(a.clusterIP(24)), port: 80, expect: .refused),
        ])

        add("traffic that is not for a Service is untouched", web, [
            PacketCheck(from: .client, to: a.pod("web-1"), port: 8080, expect: .reaches(["web-1"], .preserved)),
            PacketCheck(from: .pod("web-2"), to: a.pod("web-1"), port: 8080, .udp, expect: .reaches(["web-1"], .preserved)),
        ])
        return list
    }
}
