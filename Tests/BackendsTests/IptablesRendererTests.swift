@testable import Backends
import Foundation
import ProxyTesting
import ServiceModel
import Testing

@Suite("iptables renderer")
struct IptablesRendererTests {
    static let node = Fixtures.node("node-a", addresses: ["192.168.1.10", "fd00::10"], zone: "zone-a")
    static let configuration = ProxyConfiguration(
        nodeName: "node-a", clusterCIDRs: ["10.244.0.0/16", "fd00:244::/48"], nodePortAddresses: [])

    func states(_ objects: [KubernetesObject], families: [IPFamily] = [.ipv4], configuration: ProxyConfiguration = configuration) -> [DesiredState] {
        let snapshot = ClusterSnapshot(objects)
        let model = ProxyModel(configuration: configuration)
        let context = NodeContext(snapshot: snapshot, nodeName: "node-a", localAddresses: [])
        return families.map { model.desiredState(for: $0, snapshot: snapshot, node: context).state }
    }

    func web(_ configure: (inout Service) -> Void = { _ in }, endpoints: [EndpointSlice.Endpoint] = [.ready("10.244.0.5", node: "node-a"), .ready("10.244.1.5", node: "node-b")]) -> [KubernetesObject] {
        [
            .node(Self.node),
            .service(Fixtures.service("shop/web", clusterIP: "10.96.0.10", ports: [.tcp(80, name: "http")], configure: configure)),
            .endpointSlice(Fixtures.slice("shop/web-1", service: "web", ports: [.init(name: "http", port: 8080)], endpoints: endpoints)),
        ]
    }

    func text(_ states: [DesiredState], settings: IptablesSettings = IptablesSettings()) -> String {
        IptablesRenderer(settings: settings).full(states, kernel: [:]).transaction.text
    }

    func lines(_ text: String) -> [String] { text.split(separator: "\n").map(String.init) }

    // MARK: Names

    @Test func chainNamesAreKubeProxysHashesWithProxydsPrefix() {
        // kube-proxy's own test data: ns1/svc1:p80 is KUBE-SVC-XPGD46QRK7WJZT7O, its endpoint 10.180.0.1:80
        // KUBE-SEP-SXIVWICOYRO3J4NJ.
        let name = ServicePortName(service: ObjectKey(namespace: "ns1", name: "svc1"), port: "p80", protocol: .tcp)
        let chains = IptablesNames.PortChains(name)
        #expect(chains.clusterPolicy == "PROXYD-SVC-XPGD46QRK7WJZT7O")
        #expect(chains.localPolicy == "PROXYD-SVL-XPGD46QRK7WJZT7O")
        #expect(chains.external == "PROXYD-EXT-XPGD46QRK7WJZT7O")
        #expect(chains.firewall == "PROXYD-FW-XPGD46QRK7WJZT7O")
        #expect(chains.endpoint(ServiceEndpoint(address: "10.180.0.1", port: 80)) == "PROXYD-SEP-SXIVWICOYRO3J4NJ")
        // iptables limits chain names to 28 characters.
        #expect(chains.endpoint(ServiceEndpoint(address: "10.180.0.1", port: 80)).count <= 28)
    }

    @Test(arguments: [
        ([], ""), (Array("f".utf8), "MY======"), (Array("foobar".utf8), "MZXW6YTBOI======"),
    ] as [([UInt8], String)])
    func base32MatchesRFC4648(input: [UInt8], encoded: String) {
        let unpadded = encoded.prefix { $0 != "=" }
        #expect(IptablesNames.base32Prefix(input, count: 16) == String(unpadded.prefix(16)))
    }

    // MARK: Hostile input

    @Test func aPortNameCannotInjectRulesOrBreakQuoting() throws {
        // The API server validates names; files and a compromised API server need not. Whatever a name holds, it
        // stays inside one quoted comment on one line.
        let hostile = "p\"\n-A PREROUTING -j ACCEPT\n\\\"x"
        let objects: [KubernetesObject] = [
            .node(Self.node),
            .service(Fixtures.service("shop/web", clusterIP: "10.96.0.10", type: "NodePort", ports: [Service.Port(name: hostile, protocol: "TCP", port: 80, nodePort: 30080)])),
            .endpointSlice(Fixtures.slice("shop/web-1", service: "web", ports: [.init(name: hostile, port: 8080)], endpoints: [.ready("10.244.0.5")])),
        ]
        let output = text(states(objects))
        #expect(output.contains("shop/web:p"))
        for line in lines(output) where !line.hasPrefix("#") && !line.hasPrefix("*") && line != "COMMIT" && line != "-S" {
            #expect(line.hasPrefix(":PROXYD-") || line.hasPrefix("-A PROXYD-") || line.hasPrefix("-I "), "\(line)")
            let words = IptablesCleanupPlan.words(line)
            for (option, value) in zip(words, words.dropFirst()) where option == "--comment" {
                #expect(value.hasPrefix("\"") && value.hasSuffix("\"") && !value.dropFirst().dropLast().hasSuffix("\\"), "\(value)")
            }
        }
        #expect(!output.contains("\n-A PREROUTING"))
        var fake = IptablesFakeTables()
        try fake.restore(IptablesRenderer().full(states(objects), kernel: [:]).transaction.inputs[0].text)
        #expect(fake.tables["nat"]!["PREROUTING"]!.allSatisfy { !$0.hasSuffix("-j ACCEPT") })
    }

    @Test func commentsAreCutToTheKernelsLimitAtACharacterBoundary() {
        let long = String(repeating: "é", count: 200)  // 400 bytes
        let comment = IptablesComment("ns/" + long)
        #expect(comment.text.utf8.count <= IptablesComment.maximumBytes)
        #expect(comment.text.utf8.count >= IptablesComment.maximumBytes - 1)
        #expect(comment.text.hasPrefix("ns/é"))
        #expect(IptablesComment("a\"b\\c\td").argument == #"--comment "a\"b\\c?d""#)
    }

    // MARK: Layout

    @Test func clusterIPServiceHasKubeProxysChainsAndRules() {
        let output = text(states(web()))
        let chains = IptablesNames.PortChains(ServicePortName(service: ObjectKey(namespace: "shop", name: "web"), port: "http", protocol: .tcp))
        let local = chains.endpoint(ServiceEndpoint(address: "10.244.0.5", port: 8080))
        let remote = chains.endpoint(ServiceEndpoint(address: "10.244.1.5", port: 8080))
        let expected = [
            #"-A PROXYD-SERVICES -m comment --comment "shop/web:http cluster IP" -m tcp -p tcp -d 10.96.0.10 --dport 80 -j \#(chains.clusterPolicy)"#,
            #"-A \#(chains.clusterPolicy) -m comment --comment "shop/web:http cluster IP" -m tcp -p tcp -d 10.96.0.10 --dport 80 ! -s 10.244.0.0/16 -j PROXYD-MARK-MASQ"#,
            #"-A \#(chains.clusterPolicy) -m comment --comment "shop/web:http -> 10.244.0.5:8080" -m statistic --mode random --probability 0.5000000000 -j \#(local)"#,
            #"-A \#(chains.clusterPolicy) -m comment --comment "shop/web:http -> 10.244.1.5:8080" -j \#(remote)"#,
            #"-A \#(local) -m comment --comment "shop/web:http" -s 10.244.0.5 -j PROXYD-MARK-MASQ"#,
            #"-A \#(local) -m comment --comment "shop/web:http" -m tcp -p tcp -j DNAT --to-destination 10.244.0.5:8080"#,
            #"-A PROXYD-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j PROXYD-NODEPORTS"#,
            #"-A PROXYD-POSTROUTING -j MARK --xor-mark 0x4000"#,
            #"-A PROXYD-MARK-MASQ -j MARK --or-mark 0x4000"#,
        ]
        for line in expected { #expect(lines(output).contains(line), "missing: \(line)") }
        // The NodePorts jump is the last rule of PROXYD-SERVICES.
        #expect(lines(output).last { $0.hasPrefix("-A PROXYD-SERVICES ") }!.contains("-j PROXYD-NODEPORTS"))
    }

    @Test func masqueradeBitFollowsTheSetting() {
        let output = text(states(web()), settings: IptablesSettings(masqueradeBit: 5))
        #expect(output.contains("-A PROXYD-MARK-MASQ -j MARK --or-mark 0x20\n"))
        #expect(output.contains("-m mark ! --mark 0x20/0x20 -j RETURN"))
        #expect(output.contains("-m mark --mark 0x20/0x20 -j ACCEPT"))
    }

    @Test func aServiceWithoutEndpointsIsRejectedInTheFilterTable() {
        let objects: [KubernetesObject] = [
            .node(Self.node),
            .service(Fixtures.service("shop/empty", clusterIP: "10.96.0.11", type: "NodePort", ports: [.udp(53, name: "dns", nodePort: 30053)]) {
                $0.spec.externalIPs = ["198.51.100.7"]
            }),
        ]
        let output = lines(text(states(objects)))
        #expect(output.contains(#"-A PROXYD-SERVICES -m comment --comment "shop/empty:dns has no endpoints" -m udp -p udp -d 10.96.0.11 --dport 53 -j REJECT"#))
        #expect(output.contains(#"-A PROXYD-EXTERNAL-SERVICES -m comment --comment "shop/empty:dns has no endpoints" -m udp -p udp -d 198.51.100.7 --dport 53 -j REJECT"#))
        #expect(output.contains(#"-A PROXYD-EXTERNAL-SERVICES -m comment --comment "shop/empty:dns has no endpoints" -m addrtype --dst-type LOCAL -m udp -p udp --dport 30053 -j REJECT"#))
        #expect(!output.contains { $0.hasPrefix(":PROXYD-SVC-") || $0.hasPrefix(":PROXYD-EXT-") })
    }

    @Test func externalTrafficPolicyLocalShortCircuitsPodsAndTheNode() {
        let objects = web({
            $0.spec.type = "LoadBalancer"
            $0.spec.ports = [.tcp(80, name: "http", nodePort: 30080)]
            $0.spec.externalTrafficPolicy = "Local"
            $0.spec.healthCheckNodePort = 32000
            $0.spec.loadBalancerSourceRanges = ["192.0.2.0/24"]
            $0.status = .init(loadBalancer: .init(ingress: [.init(ip: "203.0.113.10")]))
        })
        let output = lines(text(states(objects)))
        let chains = IptablesNames.PortChains(ServicePortName(service: ObjectKey(namespace: "shop", name: "web"), port: "http", protocol: .tcp))
        let expected = [
            #"-A PROXYD-SERVICES -m comment --comment "shop/web:http loadbalancer IP" -m tcp -p tcp -d 203.0.113.10 --dport 80 -j \#(chains.firewall)"#,
            #"-A PROXYD-NODEPORTS -m comment --comment "shop/web:http" -m tcp -p tcp --dport 30080 -j \#(chains.external)"#,
            #"-A PROXYD-PROXY-FIREWALL -m comment --comment "shop/web:http traffic not accepted by \#(chains.firewall)" -m tcp -p tcp -d 203.0.113.10 --dport 80 -j DROP"#,
            #"-A PROXYD-NODEPORTS -m comment --comment "shop/web:http health check node port" -m tcp -p tcp --dport 32000 -j ACCEPT"#,
            #"-A \#(chains.external) -m comment --comment "pod traffic for shop/web:http external destinations" -s 10.244.0.0/16 -j \#(chains.clusterPolicy)"#,
            #"-A \#(chains.external) -m comment --comment "masquerade LOCAL traffic for shop/web:http external destinations" -m addrtype --src-type LOCAL -j PROXYD-MARK-MASQ"#,
            #"-A \#(chains.external) -m comment --comment "route LOCAL traffic for shop/web:http external destinations" -m addrtype --src-type LOCAL -j \#(chains.clusterPolicy)"#,
            #"-A \#(chains.external) -j \#(chains.localPolicy)"#,
            #"-A \#(chains.firewall) -m comment --comment "shop/web:http loadbalancer IP" -s 192.0.2.0/24 -j \#(chains.external)"#,
            #"-A \#(chains.firewall) -m comment --comment "other traffic to shop/web:http will be dropped by PROXYD-PROXY-FIREWALL""#,
        ]
        for line in expected { #expect(output.contains(line), "missing: \(line)") }
        // Only the local endpoint serves outside traffic.
        #expect(output.contains { $0.hasPrefix("-A \(chains.localPolicy) ") && $0.contains("10.244.0.5:8080") })
        #expect(!output.contains { $0.hasPrefix("-A \(chains.localPolicy) ") && $0.contains("10.244.1.5:8080") })
    }

    @Test func clientIPAffinityUsesRecent() {
        let output = lines(text(states(web({
            $0.spec.sessionAffinity = "ClientIP"
            $0.spec.sessionAffinityConfig = .init(clientIP: .init(timeoutSeconds: 600))
        }))))
        let chains = IptablesNames.PortChains(ServicePortName(service: ObjectKey(namespace: "shop", name: "web"), port: "http", protocol: .tcp))
        let local = chains.endpoint(ServiceEndpoint(address: "10.244.0.5", port: 8080))
        #expect(output.contains(#"-A \#(chains.clusterPolicy) -m comment --comment "shop/web:http -> 10.244.0.5:8080" -m recent --name \#(local) --rcheck --seconds 600 --reap -j \#(local)"#))
        #expect(output.contains(#"-A \#(local) -m comment --comment "shop/web:http" -m recent --name \#(local) --set -m tcp -p tcp -j DNAT --to-destination 10.244.0.5:8080"#))
    }

    @Test func ipv6UsesBracketedEndpointsAndNeverLocalhostNodePorts() {
        let objects: [KubernetesObject] = [
            .node(Self.node),
            .service(Fixtures.service("shop/web", clusterIP: "fd00:96::10", type: "NodePort", ports: [.tcp(80, name: "http", nodePort: 30080)]) {
                $0.spec.ipFamilies = ["IPv6"]
            }),
            .endpointSlice(Fixtures.slice("shop/web-1", service: "web", addressType: "IPv6", ports: [.init(name: "http", port: 8080)], endpoints: [.ready("fd00:244::5")])),
        ]
        let output = text(states(objects, families: [.ipv6]))
        #expect(output.hasPrefix("# ip6tables-restore --noflush (IPv6)\n"))
        #expect(output.contains("-j DNAT --to-destination [fd00:244::5]:8080\n"))
        #expect(output.contains("-m addrtype --dst-type LOCAL ! -d ::1/128 -j PROXYD-NODEPORTS\n"))
        #expect(!output.contains(IptablesNames.localnetFirewall + " "))
    }

    @Test func localhostNodePortsServeLoopbackAndGuardIt() {
        let on = text(states(web()))
        #expect(on.contains("-m addrtype --dst-type LOCAL -j PROXYD-NODEPORTS\n"))
        #expect(on.contains(#"-A PROXYD-FIREWALL -m comment --comment "block incoming localnet connections" -d 127.0.0.0/8 ! -s 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP"#))
        #expect(on.contains("-I INPUT 1 -j PROXYD-FIREWALL\n"))
        let off = text(states(web()), settings: IptablesSettings(localhostNodePorts: false))
        #expect(off.contains("-m addrtype --dst-type LOCAL ! -d 127.0.0.0/8 -j PROXYD-NODEPORTS\n"))
        #expect(!off.contains("PROXYD-FIREWALL "))
        // Explicit NodePort addresses without loopback: no localhost NodePorts either.
        let primary = text(states(web(), configuration: ProxyConfiguration(nodeName: "node-a", clusterCIDRs: ["10.244.0.0/16"], nodePortAddresses: [.primary])))
        #expect(primary.contains(#"-d 192.168.1.10 -j PROXYD-NODEPORTS"#))
        #expect(!primary.contains("PROXYD-FIREWALL "))
    }

    @Test(arguments: [
        (true, [NodePortAddressSelector](), true),
        (false, [], false),
        (true, [.primary], false),
        (true, [.cidr("127.0.0.0/8")], true),
        (true, [.cidr("192.168.0.0/16")], false),
        (true, [.cidr("fd00::/64")], true),  // no IPv4 selector: every local address, as the model decides
    ])
    func routeLocalnetIsNeededOnlyForLocalhostNodePorts(localhost: Bool, selectors: [NodePortAddressSelector], needed: Bool) {
        #expect(IptablesSettings.needsRouteLocalnet(localhostNodePorts: localhost, nodePortAddresses: selectors) == needed)
    }

    @Test func largeClustersDropPerEndpointComments() {
        let endpoints = (0..<1001).map { EndpointSlice.Endpoint.ready("10.244.\($0 / 250).\($0 % 250 + 1)") }
        let output = lines(text(states(web(endpoints: endpoints))))
        #expect(output.contains { $0.hasPrefix("-A PROXYD-SEP-") && $0.hasSuffix("-j PROXYD-MARK-MASQ") && !$0.contains("--comment") })
        #expect(!output.contains { $0.hasPrefix("-A PROXYD-SVC-") && $0.contains("->") })
        // The ClusterIP's own rules keep theirs.
        #expect(output.contains { $0.hasPrefix("-A PROXYD-SERVICES ") && $0.contains("shop/web:http cluster IP") })
        let small = lines(text(states(web())))
        #expect(small.contains { $0.hasPrefix("-A PROXYD-SEP-") && $0.contains("--comment") })
    }

    @Test func probabilitiesAreWrittenAsKubeProxyWritesThem() {
        #expect(IptablesPortRenderer.probability(2) == "0.5000000000")
        #expect(IptablesPortRenderer.probability(3) == "0.3333333333")
        #expect(IptablesPortRenderer.probability(6) == "0.1666666667")
        #expect(IptablesPortRenderer.probability(7) == "0.1428571429")
        #expect(IptablesPortRenderer.formatProbability(2048) == "0.0004882812")  // an exact tie rounds to even
        #expect(IptablesPortRenderer.probability(1000) == "0.0010000000")
    }

    @Test func renderingIsDeterministic() {
        var cluster = RandomCluster(seed: 11)
        let objects = cluster.objects(node: Self.node)
        #expect(text(states(objects, families: [.ipv4, .ipv6])) == text(states(objects.reversed(), families: [.ipv4, .ipv6])))
    }

    @Test func onlyTheNftFlavoursFullInputsListTheNatTableBeforeThePortChains() throws {
        let states = states(web())
        let nft = lines(IptablesRenderer(settings: IptablesSettings(flavour: .nft)).full(states, kernel: [:]).transaction.text)
        let listing = try #require(nft.firstIndex(of: "-S"))
        #expect(nft[..<listing].contains("*nat"))
        #expect(nft[..<listing].allSatisfy { !$0.hasPrefix(":PROXYD-SVC-") && !$0.hasPrefix(":PROXYD-SEP-") })
        #expect(nft[listing...].contains { $0.hasPrefix(":PROXYD-SVC-") })
        let legacy = IptablesRenderer(settings: IptablesSettings(flavour: .legacy)).full(states, kernel: [:]).transaction.text
        #expect(!lines(legacy).contains("-S"))
    }

    @Test func dryRunTextIsWhatASyncSendsToAnEmptyNode() {
        var cluster = RandomCluster(seed: 3)
        let states = states(cluster.objects(node: Self.node))
        let dry = IptablesRenderer().full(states, kernel: [:]).transaction.text
        let once = IptablesRenderer().full(states, kernel: [.ipv4: .listed(IptablesTableListing())]).transaction.text
        #expect(dry == once)
    }

    // MARK: Kernel state across syncs (against the in-memory tables)

    /// Applies `input`'s inputs to `fake`.
    func apply(_ transaction: IptablesTransaction, to fake: inout IptablesFakeTables) throws {
        for input in transaction.inputs where !input.isEmpty { try fake.restore(input.text) }
    }

    @Test(arguments: 0..<150)
    func partialSyncsLeaveWhatAFullSyncWould(seed: Int) throws {
        var cluster = RandomCluster(seed: UInt64(seed))
        let renderer = IptablesRenderer()
        var current = states(cluster.objects(node: Self.node))[0]
        var kernel = IptablesFakeTables()
        let first = renderer.full([current], kernel: [:])
        try apply(first.transaction, to: &kernel)
        var committed = first.renderings
        for step in 0..<5 {
            let next = states(cluster.objects(node: Self.node))[0]
            let (transaction, _) = try #require(renderer.partial([DesiredStateDiff(from: current, to: next)], committed: &committed))
            try apply(transaction, to: &kernel)
            var fresh = IptablesFakeTables()
            try apply(renderer.full([next], kernel: [:]).transaction, to: &fresh)
            #expect(kernel.proxydView == fresh.proxydView, "seed \(seed) step \(step)")
            // A periodic full sync from memory changes nothing and passes its checks.
            if step == 2 {
                var copy = kernel
                let refill = renderer.full([next], kernel: [.ipv4: .committed(committed[.ipv4]!)])
                try apply(refill.transaction, to: &copy)
                #expect(copy.proxydView == fresh.proxydView)
            }
            current = next
        }
    }

    @Test func aFullSyncFromAListingReplacesWhatAnEarlierProcessLeft() throws {
        var cluster = RandomCluster(seed: 42)
        let renderer = IptablesRenderer()
        var kernel = IptablesFakeTables()
        try apply(renderer.full(states(cluster.objects(node: Self.node)), kernel: [:]).transaction, to: &kernel)
        // A second copy of a jump (another process inserted it again) and a chain of an older layout.
        kernel.tables["nat"]!["PREROUTING"]!.append(#"-m comment --comment "kubernetes service portals" -j PROXYD-SERVICES"#)
        kernel.tables["nat"]!["PROXYD-OLD"] = ["-j RETURN"]
        let next = states(cluster.objects(node: Self.node))
        let listing = IptablesTableListing(save: Self.save(kernel))
        try apply(renderer.full(next, kernel: [.ipv4: .listed(listing)]).transaction, to: &kernel)
        var fresh = IptablesFakeTables()
        try apply(renderer.full(next, kernel: [:]).transaction, to: &fresh)
        #expect(kernel.proxydView == fresh.proxydView)
    }

    @Test func aPartialSyncAfterAFlushIsRefusedAtTheCanaryCheck() throws {
        let renderer = IptablesRenderer()
        let before = states(web())[0]
        var kernel = IptablesFakeTables()
        let first = renderer.full([before], kernel: [:])
        try apply(first.transaction, to: &kernel)
        var committed = first.renderings
        kernel.flush("nat")
        let after = states(web(endpoints: [.ready("10.244.0.5", node: "node-a")]))[0]
        let (transaction, _) = try #require(renderer.partial([DesiredStateDiff(from: before, to: after)], committed: &committed))
        let input = transaction.inputs[0]
        let refusal = try #require(throws: IptablesFakeTables.Refused.self) { try apply(transaction, to: &kernel) }
        #expect(input.checks[refusal.line]?.contains("flushed") == true, "\(refusal)")
    }

    @Test func aOneServiceChangeWritesOnlyThatServicesChains() throws {
        var objects = (0..<20).flatMap { i -> [KubernetesObject] in
            [
                .service(Fixtures.service("ns/svc\(i)", clusterIP: "10.96.0.\(i + 1)", ports: [.tcp(80, name: "http")])),
                .endpointSlice(Fixtures.slice("ns/svc\(i)-1", service: "svc\(i)", ports: [.init(name: "http", port: 8080)], endpoints: [.ready("10.244.0.\(i + 1)"), .ready("10.244.1.\(i + 1)")])),
            ]
        }
        objects.append(.node(Self.node))
        let renderer = IptablesRenderer()
        let before = states(objects)[0]
        var committed = renderer.full([before], kernel: [:]).renderings
        // svc7 loses one endpoint: only its cluster chain is rewritten and one endpoint chain goes; the
        // top-level chains are untouched because its rules there did not change.
        objects[15] = .endpointSlice(Fixtures.slice("ns/svc7-1", service: "svc7", ports: [.init(name: "http", port: 8080)], endpoints: [.ready("10.244.0.8")]))
        let after = states(objects)[0]
        let (transaction, _) = try #require(renderer.partial([DesiredStateDiff(from: before, to: after)], committed: &committed))
        let chains = IptablesNames.PortChains(ServicePortName(service: ObjectKey(namespace: "ns", name: "svc7"), port: "http", protocol: .tcp))
        let gone = chains.endpoint(ServiceEndpoint(address: "10.244.1.8", port: 8080))
        let written = lines(transaction.text).filter { $0.hasPrefix(":") }
        #expect(written == [":\(chains.clusterPolicy) - [0:0]", ":\(gone) - [0:0]"])
        #expect(lines(transaction.text).contains("-X \(gone)"))
        #expect(!transaction.text.contains("-A PROXYD-SERVICES"))
        // A new Service writes only its own chains, and inserts its one rule into PROXYD-SERVICES where a full sync
        // puts it: after svc0, svc1 and svc10, which sort before svc10a.
        objects.append(.service(Fixtures.service("ns/svc10a", clusterIP: "10.96.1.1", ports: [.tcp(80, name: "http")])))
        objects.append(.endpointSlice(Fixtures.slice("ns/svc10a-1", service: "svc10a", ports: [.init(name: "http", port: 8080)], endpoints: [.ready("10.244.0.99")])))
        let added = states(objects)[0]
        let (addition, _) = try #require(renderer.partial([DesiredStateDiff(from: after, to: added)], committed: &committed))
        let newChains = IptablesNames.PortChains(ServicePortName(service: ObjectKey(namespace: "ns", name: "svc10a"), port: "http", protocol: .tcp))
        let declared = lines(addition.text).filter { $0.hasPrefix(":") }
        #expect(declared == [":\(newChains.clusterPolicy) - [0:0]", ":\(newChains.endpoint(ServiceEndpoint(address: "10.244.0.99", port: 8080))) - [0:0]"])
        #expect(lines(addition.text).filter { $0.contains(" PROXYD-SERVICES ") } == [
            #"-I PROXYD-SERVICES 4 -m comment --comment "ns/svc10a:http cluster IP" -m tcp -p tcp -d 10.96.1.1 --dport 80 -j \#(newChains.clusterPolicy)"#
        ])

        // Removing a Service deletes its rule by its exact text; nothing else in PROXYD-SERVICES is touched.
        let svc3 = IptablesNames.PortChains(ServicePortName(service: ObjectKey(namespace: "ns", name: "svc3"), port: "http", protocol: .tcp))
        objects.removeAll {
            if case .service(let service) = $0 { return service.metadata.name == "svc3" }
            return false
        }
        let removed = states(objects)[0]
        let (removal, _) = try #require(renderer.partial([DesiredStateDiff(from: added, to: removed)], committed: &committed))
        #expect(lines(removal.text).filter { $0.contains(" PROXYD-SERVICES ") } == [
            #"-D PROXYD-SERVICES -m comment --comment "ns/svc3:http cluster IP" -m tcp -p tcp -d 10.96.0.4 --dport 80 -j \#(svc3.clusterPolicy)"#
        ])
        #expect(!lines(removal.text).contains { $0.hasPrefix(":") && !$0.hasPrefix(":PROXYD-SVC-") && !$0.hasPrefix(":PROXYD-SEP-") })
    }

    @Test func partialSyncsPlaceRulesWhereAFullSyncPutsThem() throws {
        // Several ports change at once, in every top-level chain: NodePorts (nat and filter), a Service losing its
        // endpoints (its REJECT moves to the filter table), external IPs, load balancers with source ranges.
        func objects(_ variant: Int) -> [KubernetesObject] {
            var objects: [KubernetesObject] = [.node(Self.node)]
            for i in 0..<12 where (i + variant) % 5 != 0 {
                let type = i % 3 == 0 ? "LoadBalancer" : i % 3 == 1 ? "NodePort" : "ClusterIP"
                objects.append(.service(Fixtures.service("ns/svc\(i)", clusterIP: "10.96.0.\(i + 1)", type: type, ports: [.tcp(80, name: "http", nodePort: 30000 + i)]) {
                    if i % 4 == variant % 4 { $0.spec.externalIPs = ["198.51.100.\(i)"] }
                    if type == "LoadBalancer" {
                        $0.status = .init(loadBalancer: .init(ingress: [.init(ip: "203.0.113.\(i)")]))
                        $0.spec.loadBalancerSourceRanges = ["192.0.2.0/24"]
                        $0.spec.externalTrafficPolicy = "Local"
                        $0.spec.healthCheckNodePort = 32000 + i
                    }
                }))
                let endpoints: [EndpointSlice.Endpoint] = (i + variant) % 4 == 0 ? [] : [.ready("10.244.0.\(i + 1)", node: "node-a")]
                objects.append(.endpointSlice(Fixtures.slice("ns/svc\(i)-1", service: "svc\(i)", ports: [.init(name: "http", port: 8080)], endpoints: endpoints)))
            }
            return objects
        }
        let renderer = IptablesRenderer()
        var current = states(objects(0))[0]
        var kernel = IptablesFakeTables()
        let first = renderer.full([current], kernel: [:])
        try apply(first.transaction, to: &kernel)
        var committed = first.renderings
        for variant in 1..<8 {
            let next = states(objects(variant))[0]
            let (transaction, _) = try #require(renderer.partial([DesiredStateDiff(from: current, to: next)], committed: &committed))
            #expect(!transaction.text.contains(":PROXYD-SERVICES ") && !transaction.text.contains(":PROXYD-NODEPORTS "))
            #expect(!transaction.text.contains(":PROXYD-EXTERNAL-SERVICES ") && !transaction.text.contains(":PROXYD-PROXY-FIREWALL "))
            try apply(transaction, to: &kernel)
            var fresh = IptablesFakeTables()
            try apply(renderer.full([next], kernel: [:]).transaction, to: &fresh)
            #expect(kernel.proxydView == fresh.proxydView, "variant \(variant)")
            current = next
        }
    }

    @Test func nodeSettingsOrLargeClusterModeChangesNeedAFullSync() {
        let renderer = IptablesRenderer(settings: IptablesSettings(largeClusterEndpointThreshold: 2))
        let before = states(web())[0]
        var committed = renderer.full([before], kernel: [:]).renderings
        let three = states(web(endpoints: [.ready("10.244.0.5"), .ready("10.244.0.6"), .ready("10.244.0.7")]))[0]
        #expect(renderer.partial([DesiredStateDiff(from: before, to: three)], committed: &committed) == nil)
        var moved = before
        moved.node.masqueradeAll = true
        #expect(renderer.partial([DesiredStateDiff(from: before, to: moved)], committed: &committed) == nil)
    }

    @Test func jumpsAreCheckedWhenCommittedAndRepairedFromAListing() {
        let renderer = IptablesRenderer()
        let state = states(web())
        let first = renderer.full(state, kernel: [:])
        let refill = renderer.full(state, kernel: [.ipv4: .committed(first.renderings[.ipv4]!)]).transaction.inputs[0]
        let checks = lines(refill.text).filter { $0.hasPrefix("-C ") }
        #expect(checks.count == IptablesJump.required(localnetFirewall: true).count)
        #expect(!refill.text.contains("\n-I "))
        #expect(refill.checks.count == checks.count)
        // A listing with one jump missing and one duplicated: insert the first, delete the copy.
        let save = """
            *nat
            :PREROUTING ACCEPT [0:0]
            :OUTPUT ACCEPT [0:0]
            :POSTROUTING ACCEPT [0:0]
            :PROXYD-SERVICES - [0:0]
            :PROXYD-POSTROUTING - [0:0]
            -A PREROUTING -m comment --comment "kubernetes service portals" -j PROXYD-SERVICES
            -A PREROUTING -m comment --comment "kubernetes service portals" -j PROXYD-SERVICES
            -A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j PROXYD-POSTROUTING
            COMMIT
            """
        let repaired = renderer.full(state, kernel: [.ipv4: .listed(IptablesTableListing(save: save))]).transaction.inputs[0].text
        #expect(repaired.contains(#"-D PREROUTING -m comment --comment "kubernetes service portals" -j PROXYD-SERVICES"#))
        #expect(lines(repaired).count { $0.hasPrefix("-D PREROUTING") } == 1)
        #expect(repaired.contains(#"-I OUTPUT 1 -m comment --comment "kubernetes service portals" -j PROXYD-SERVICES"#))
        #expect(!repaired.contains("-I PREROUTING"))
        #expect(!repaired.contains("-I POSTROUTING"))
    }

    // MARK: Errors and flavours

    @Test(arguments: [
        ("iptables-nft-restore: line 12 failed: Bad rule (does a matching rule exist in that chain?).\n", 12),
        ("iptables-restore v1.8.9 (legacy): Couldn't load match `bogus':No such file or directory\n\nError occurred at line: 4\nTry `iptables-restore -h' or 'iptables-restore --help' for more information.\n", 4),
        ("iptables-restore: line 2 failed\n", 2),
        ("iptables-nft-restore v1.8.9 (nf_tables): \nline 7: CHAIN_DEL failed (Device or resource busy): chain B\n", 7),
    ])
    func restoreErrorsNameTheFailingLine(stderr: String, line: Int) {
        let input = IptablesRestoreInput(family: .ipv4, text: (1...20).map { "line \($0)" }.joined(separator: "\n") + "\n", checks: [2: "the table was flushed"])
        let error = IptablesError.restoreFailed(stderr, input: input)
        #expect(error.line == line)
        #expect(error.context?.contains("> \(line): line \(line)") == true)
        #expect(error.code == (line == 2 ? .checkFailed : .refused))
        #expect(!error.description.contains("Try `"))
    }

    @Test func flavourFollowsKubeletsMarkersThenRuleCounts() {
        #expect(IptablesFlavour.decide(nftMangle: "", legacyDump: nil) == .nft)
        #expect(IptablesFlavour.decide(nftMangle: "*mangle\n:KUBE-KUBELET-CANARY - [0:0]\nCOMMIT\n", legacyDump: "") == .nft)
        #expect(IptablesFlavour.decide(nftMangle: "", legacyDump: "*mangle\n:KUBE-IPTABLES-HINT - [0:0]\nCOMMIT\n") == .legacy)
        #expect(IptablesFlavour.decide(nftMangle: "", legacyDump: "") == nil)
        #expect(IptablesFlavour.decide(nftDump: "-A X\n", legacyDump: "-A Y\n-A Z\n") == .legacy)
        #expect(IptablesFlavour.decide(nftDump: "", legacyDump: "") == .nft)
    }

    // MARK: Golden

    /// The example cluster's restore input, reviewed by a human. Set UPDATE_GOLDEN=1 to rewrite it after a
    /// deliberate change, then review the diff.
    @Test func exampleClusterMatchesTheReviewedRestoreInput() throws {
        let examples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("examples").path
        let snapshot = ClusterSnapshot(FileSourceHelper.load(examples))
        let configuration = ProxyConfiguration(nodeName: "node-a", clusterCIDRs: ["10.244.0.0/16", "fd00:10:244::/56"], nodePortAddresses: [])
        let model = ProxyModel(configuration: configuration)
        let context = NodeContext(snapshot: snapshot, nodeName: "node-a", localAddresses: [])
        let states = model.servedFamilies(node: context).map { model.desiredState(for: $0, snapshot: snapshot, node: context).state }
        let text = IptablesRenderer().full(states, kernel: [:]).transaction.text
        let golden = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden/examples-node-a.iptables")
        if ProcessInfo.processInfo.environment["UPDATE_GOLDEN"] == "1" {
            try text.write(to: golden, atomically: true, encoding: .utf8)
        }
        let expected = try String(contentsOf: golden, encoding: .utf8)
        #expect(text == expected)
    }

    /// `iptables-save`-like text of the fake tables.
    static func save(_ fake: IptablesFakeTables) -> String {
        var out = ""
        for (table, chains) in fake.tables.sorted(by: { $0.key < $1.key }) {
            out += "*\(table)\n"
            for name in chains.keys.sorted() { out += ":\(name) - [0:0]\n" }
            for (name, rules) in chains.sorted(by: { $0.key < $1.key }) {
                for rule in rules { out += "-A \(name) \(rule)\n" }
            }
            out += "COMMIT\n"
        }
        return out
    }
}
