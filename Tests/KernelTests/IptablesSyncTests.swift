import Backends
import Foundation
import ProxyTesting
import ServiceModel
import Testing

/// How proxyd's iptables syncs behave against the kernel, in both flavours: partial syncs, a flushed table,
/// refused inputs, localhost NodePorts, flavour detection.
@Suite("iptables syncs against the kernel", .requiresRoot)
struct IptablesSyncTests {
    static let configuration = ProxyConfiguration(
        nodeName: ServiceScenario.nodeName, clusterCIDRs: [LabTopology.clusterCIDRIPv4, LabTopology.clusterCIDRIPv6],
        nodePortAddresses: [])

    func states(_ objects: [KubernetesObject], families: [IPFamily] = [.ipv4, .ipv6]) -> [DesiredState] {
        let snapshot = ClusterSnapshot(objects)
        let model = ProxyModel(configuration: Self.configuration)
        let node = NodeContext(snapshot: snapshot, nodeName: ServiceScenario.nodeName, localAddresses: [])
        return families.map { model.desiredState(for: $0, snapshot: snapshot, node: node).state }
    }

    func backend(_ lab: NetworkLab, _ flavour: IptablesFlavour) throws -> IptablesBackend {
        IptablesBackend(
            driver: try IptablesDriver(flavour: flavour, networkNamespace: "/run/netns/\(lab.node.namespace)"),
            settings: IptablesSettings())
    }

    /// proxyd's part of both families' filter and nat tables as iptables-save prints them: its chains and rules,
    /// and the built-in chains' jumps to them.
    func listing(_ lab: NetworkLab, _ flavour: IptablesFlavour) async throws -> String {
        var out: [String] = []
        for command in ["iptables", "ip6tables"] {
            for table in ["filter", "nat"] {
                let save = try await lab.exec(in: lab.node, ["\(command)-\(flavour)-save", "-t", table]).requireSuccess().stdout
                out.append("*\(command) \(table)")
                out += save.split(separator: "\n").map(String.init).filter {
                    $0.hasPrefix(":PROXYD-") || $0.hasPrefix("-A PROXYD-") || ($0.hasPrefix("-A ") && $0.contains("-j PROXYD-"))
                }.map { $0.hasPrefix(":") ? String($0.prefix { $0 != " " }) : $0 }
            }
        }
        return out.joined(separator: "\n")
    }

    func sync(_ backend: IptablesBackend, _ states: [DesiredState], _ changes: [DesiredStateDiff]?) async throws -> SyncResult {
        do throws(BackendSyncError) {
            return try await backend.sync(states, changes.map { .changes($0) } ?? .full)
        } catch {
            Issue.record("\(error.message)\n\(error.transaction)")
            throw error
        }
    }

    @Test(arguments: [(0, IptablesFlavour.nft), (1, .nft), (2, .nft), (3, .legacy), (4, .legacy), (5, .legacy)])
    func partialSyncsLeaveExactlyWhatAFullSyncOfTheFinalStateWould(seed: Int, flavour: IptablesFlavour) async throws {
        try await NetworkLab.with(LabSpec(pods: [])) { lab in
            let backend = try backend(lab, flavour)
            var cluster = RandomCluster(seed: UInt64(seed), nodeName: ServiceScenario.nodeName)
            let node = Fixtures.node(ServiceScenario.nodeName, addresses: ["172.18.0.2", "fd00:172:18::2"])
            var last = states(cluster.objects(node: node))
            _ = try await sync(backend, last, nil)
            for _ in 0..<6 {
                let previous = last
                last = states(cluster.objects(node: node))
                let diffs = zip(previous, last).map { DesiredStateDiff(from: $0, to: $1) }
                let result = try await sync(backend, last, diffs)
                #expect(!result.isFull)
            }
            let afterPartials = try await listing(lab, flavour)
            // A fresh backend lists the tables and replaces everything: the reference content.
            let reference = try self.backend(lab, flavour)
            _ = try await sync(reference, last, nil)
            #expect(try await listing(lab, flavour) == afterPartials)
        }
    }

    @Test(arguments: IptablesFlavour.allCases)
    func aOneServiceChangeWritesOnlyThatServicesChains(flavour: IptablesFlavour) async throws {
        try await NetworkLab.with(LabSpec(pods: [])) { lab in
            let a = ScenarioAddresses(.ipv4)
            var objects = a.nodes
            for n in 10..<13 {
                objects += [a.service("svc\(n)", clusterIP: n, type: "NodePort", ports: [.tcp(80, name: "http", nodePort: 30000 + n)]), a.slice("svc\(n)", ready: ["web-1", "web-2"])]
            }
            let backend = try backend(lab, flavour)
            var last = states(objects, families: [.ipv4])
            _ = try await sync(backend, last, nil)

            /// Syncs `objects` as a partial sync; returns its input and checks that the kernel then holds what a full sync would.
            func change(_ objects: [KubernetesObject]) async throws -> String {
                let next = states(objects, families: [.ipv4])
                let result = try await sync(backend, next, [DesiredStateDiff(from: last[0], to: next[0])])
                #expect(!result.isFull)
                let afterPartial = try await listing(lab, flavour)
                _ = try await sync(try self.backend(lab, flavour), next, nil)
                #expect(try await listing(lab, flavour) == afterPartial, "\(result.transaction)")
                last = next
                return result.transaction
            }

            // An endpoint change: only the Service's own chains.
            objects[objects.count - 1] = a.slice("svc12", ready: ["web-1"])
            let before = last
            let endpoints = try await change(objects)
            let chains = endpoints.split(separator: "\n").filter { $0.hasPrefix(":") }.map { $0.dropFirst().prefix { $0 != " " } }
            let own = IptablesNamesProbe.chains(of: last[0].services[ObjectKey(namespace: "default", name: "svc12")]![0], before[0])
            #expect(!chains.isEmpty)
            #expect(chains.allSatisfy { own.contains(String($0)) }, "\(chains) are not all svc12's \(own)")
            #expect(!endpoints.contains(" PROXYD-SERVICES ") && !endpoints.contains(" PROXYD-NODEPORTS "))

            // A new Service between svc11 and svc12, and a removed one: their rules go in and out of the top-level
            // chains one by one, which are never rewritten.
            objects += [a.service("svc11b", clusterIP: 20, type: "NodePort", ports: [.tcp(80, name: "http", nodePort: 30020)]), a.slice("svc11b", ready: ["web-1"])]
            let addition = try await change(objects)
            #expect(addition.contains("-I PROXYD-SERVICES 3 ") && addition.contains("-I PROXYD-NODEPORTS 3 "), "\(addition)")
            objects.removeAll {
                if case .service(let service) = $0 { return service.metadata.name == "svc10" }
                return false
            }
            let removal = try await change(objects)
            #expect(removal.contains("-D PROXYD-SERVICES ") && removal.contains("-D PROXYD-NODEPORTS "), "\(removal)")
            for input in [addition, removal] {
                #expect(!input.contains(":PROXYD-SERVICES ") && !input.contains(":PROXYD-NODEPORTS ") && !input.contains("-A PROXYD-SERVICES "))
            }
        }
    }

    @Test(arguments: IptablesFlavour.allCases)
    func aFlushedTableIsNoticedAndRewrittenAtTheNextSync(flavour: IptablesFlavour) async throws {
        let a = ScenarioAddresses(.ipv4)
        try await NetworkLab.with(ServiceScenario.labSpec) { lab in
            for pod in lab.pods + lab.remotePods { _ = try await lab.serve(in: pod, tcp: [8080]) }
            let backend = try backend(lab, flavour)
            var objects = a.nodes + [a.service("web", clusterIP: 10), a.slice("web", ready: ["web-1"])]
            let before = states(objects, families: [.ipv4])
            _ = try await sync(backend, before, nil)
            #expect(try await lab.connect(from: lab.client, to: a.ip(a.clusterIP(10)), port: 80).replyName == "web-1")

            // A firewall reload flushes the nat table: Services stop being DNAT'ed.
            _ = try await lab.exec(in: lab.node, ["iptables-\(flavour)", "-t", "nat", "-F"]).requireSuccess()
            #expect(try await lab.connect(from: lab.client, to: a.ip(a.clusterIP(10)), port: 80, timeout: .milliseconds(400)).replyName == nil)

            // The next sync was meant to be partial; the canary tells it otherwise.
            objects[objects.count - 1] = a.slice("web", ready: ["web-2"])
            let after = states(objects, families: [.ipv4])
            let result = try await sync(backend, after, [DesiredStateDiff(from: before[0], to: after[0])])
            #expect(result.isFull)
            #expect(result.warnings.contains { $0.contains("flushed") }, "\(result.warnings)")
            #expect(try await lab.connect(from: lab.client, to: a.ip(a.clusterIP(10)), port: 80).replyName == "web-2")
        }
    }

    @Test(arguments: IptablesFlavour.allCases)
    func aRefusedInputChangesNothingNamesTheLineAndTheNextSyncIsFull(flavour: IptablesFlavour) async throws {
        let a = ScenarioAddresses(.ipv4)
        try await NetworkLab.with(ServiceScenario.labSpec) { lab in
            for pod in lab.pods + lab.remotePods { _ = try await lab.serve(in: pod, tcp: [8080]) }
            let backend = try backend(lab, flavour)
            var objects = a.nodes + [a.service("web", clusterIP: 10), a.slice("web", ready: ["web-1", "web-2"])]
            let before = states(objects, families: [.ipv4])
            _ = try await sync(backend, before, nil)
            // Someone else's rule jumps to the chain of web-2's endpoint: the kernel refuses to delete that chain.
            let port = before[0].services[ObjectKey(namespace: "default", name: "web")]![0]
            let web2 = IptablesNamesProbe.endpointChain(port, port.clusterEndpoints.first { $0.address == a.pod("web-2") }!)
            let iptables = "iptables-\(flavour)"
            _ = try await lab.exec(in: lab.node, [iptables, "-t", "nat", "-N", "SOMEONE-ELSE"]).requireSuccess()
            _ = try await lab.exec(in: lab.node, [iptables, "-t", "nat", "-A", "SOMEONE-ELSE", "-j", web2]).requireSuccess()
            let save = "\(iptables)-save"
            func tables() async throws -> String {
                try await lab.exec(in: lab.node, [save]).requireSuccess().stdout.split(separator: "\n")
                    .filter { !$0.hasPrefix("#") }.joined(separator: "\n")
            }
            let kernelBefore = try await tables()

            objects[objects.count - 1] = a.slice("web", ready: ["web-1"])
            let after = states(objects, families: [.ipv4])
            let diff = [DesiredStateDiff(from: before[0], to: after[0])]
            do throws(BackendSyncError) {
                _ = try await backend.sync(after, .changes(diff))
                Issue.record("the kernel accepted deleting a chain another rule jumps to")
            } catch {
                #expect(error.message.contains("line"), "\(error.message)")
                #expect(error.message.contains("> "), "no context lines in \(error.message)")
                #expect(error.message.contains("-X \(web2)") || error.message.contains(web2), "\(error.message)")
            }
            #expect(try await tables() == kernelBefore)

            // The next sync lists and replaces, leaving the referenced chain in place, empty.
            let result = try await sync(backend, after, diff)
            #expect(result.isFull)
            #expect(result.warnings.contains { $0.contains(web2) && $0.contains("left in place") }, "\(result.warnings)")
            let answers = try await lab.connectAttempts(from: lab.client, to: a.ip(a.clusterIP(10)), port: 80, count: 8)
            #expect(Set(answers.compactMap(\.outcome.replyName)) == ["web-1"])
        }
    }

    @Test func localhostNodePortsAnswerAndOutsideTrafficToLoopbackIsDropped() async throws {
        let a = ScenarioAddresses(.ipv4)
        try await NetworkLab.with(LabSpec(pods: ["web-1"])) { lab in
            _ = try await lab.serve(in: try lab.pod("web-1"), tcp: [8080])
            // Something on the node listens on loopback only: route_localnet must not expose it.
            _ = try await lab.serve(in: lab.node, name: "node-loopback", tcp: [9999], bind: "127.0.0.5")
            let objects = a.nodes + [
                a.service("np", clusterIP: 11, type: "NodePort", ports: [.tcp(80, name: "http", nodePort: 30080)]),
                a.slice("np", ready: ["web-1"]),
            ]
            let result = try await ProxydInLab.once(lab, objects: objects, flags: ["--proxy-mode", "iptables"])
            #expect(result.stderr.contains("route_localnet"), "\(result.stderr)")
            #expect(try await lab.connect(from: lab.node, to: "127.0.0.1", port: 30080).replyName == "web-1")

            // A client that routes 127.0.0.0/8 to the node (route_localnet on its side too).
            _ = try await lab.exec(in: lab.client, ["sysctl", "-qw", "net.ipv4.conf.all.route_localnet=1", "net.ipv4.conf.eth0.route_localnet=1"]).requireSuccess()
            _ = try await lab.exec(in: lab.client, ["ip", "route", "add", "127.0.0.5/32", "via", a.node.description, "dev", "eth0"]).requireSuccess()
            #expect(try await lab.connect(from: lab.client, to: "127.0.0.5", port: 9999, timeout: .milliseconds(400)) == .timeout)
            // The guard is what stops it: without its rule the loopback-only server answers.
            _ = try await lab.exec(in: lab.node, ["iptables", "-F", IptablesNames.localnetFirewall]).requireSuccess()
            #expect(try await lab.connect(from: lab.client, to: "127.0.0.5", port: 9999).replyName == "node-loopback")
        }
    }

    @Test func autoDetectionFollowsTheFlavourTheNodesRulesAreIn() async throws {
        let a = ScenarioAddresses(.ipv4)
        try await NetworkLab.with(LabSpec(pods: [])) { lab in
            let objects = a.nodes + [a.service("web", clusterIP: 10)]
            // Nothing anywhere: nft.
            let fresh = try await ProxydInLab.once(lab, objects: objects, flags: ["--proxy-mode", "iptables"])
            #expect(fresh.stderr.contains("iptables flavour nft, detected from the node's rules"), "\(fresh.stderr)")
            _ = try await lab.exec(in: lab.node, try ProxydInLab.command(["--cleanup"])).requireSuccess()
            // kubelet's marker chain in the legacy tables: legacy.
            _ = try await lab.exec(in: lab.node, ["iptables-legacy", "-t", "mangle", "-N", "KUBE-KUBELET-CANARY"]).requireSuccess()
            let legacy = try await ProxydInLab.once(lab, objects: objects, flags: ["--proxy-mode", "iptables"])
            #expect(legacy.stderr.contains("iptables flavour legacy, detected from the node's rules"), "\(legacy.stderr)")
            let save = try await lab.exec(in: lab.node, ["iptables-legacy-save", "-t", "nat"]).requireSuccess().stdout
            #expect(save.contains(":PROXYD-SERVICES"))
        }
    }

    @Test func sctpServicesAreProgrammed() async throws {
        let a = ScenarioAddresses(.ipv4)
        try await NetworkLab.with(LabSpec(pods: [])) { lab in
            let objects = a.nodes + [
                a.service("sctp", clusterIP: 30, ports: [.sctp(9000, name: "s")]),
                a.slice("sctp", ready: ["web-1"], ports: [.init(name: "s", protocol: "SCTP", port: 9000)]),
            ]
            _ = try await ProxydInLab.once(lab, objects: objects, flags: ["--proxy-mode", "iptables"])
            // This kernel has no SCTP sockets to send with; the kernel accepted the rules.
            let nat = try await lab.exec(in: lab.node, ["iptables-save", "-t", "nat"]).requireSuccess().stdout
            #expect(nat.contains("-d 10.96.0.30/32 -p sctp"))
            #expect(nat.contains("--to-destination 10.244.0.11:9000"))
        }
    }

    @Test func cleanupRemovesEverythingTheBackendInstalled() async throws {
        let a = ScenarioAddresses(.ipv4)
        try await NetworkLab.with(LabSpec(pods: [])) { lab in
            _ = try await lab.exec(in: lab.node, ["iptables", "-t", "nat", "-N", "SOMEONE-ELSE"]).requireSuccess()
            let objects = a.nodes + [
                a.service("lb", clusterIP: 12, type: "LoadBalancer", ports: [.tcp(80, name: "http", nodePort: 30081)]) {
                    $0.status = .init(loadBalancer: .init(ingress: [.init(ip: a.loadBalancerIP(10))]))
                    $0.spec.loadBalancerSourceRanges = [a.clientRange]
                },
                a.slice("lb", ready: ["web-1"]),
            ]
            _ = try await ProxydInLab.once(lab, objects: objects, flags: ["--proxy-mode", "iptables"])
            _ = try await lab.exec(in: lab.node, try ProxydInLab.command(["--cleanup"])).requireSuccess()
            for command in ["iptables-save", "ip6tables-save"] {
                let save = try await lab.exec(in: lab.node, [command]).requireSuccess().stdout
                #expect(!save.contains("PROXYD-"), "\(save)")
            }
            #expect(try await lab.exec(in: lab.node, ["iptables-save", "-t", "nat"]).requireSuccess().stdout.contains(":SOMEONE-ELSE"))
        }
    }
}

/// Chain names as the backend computes them, for assertions.
enum IptablesNamesProbe {
    /// Every chain `port` may own, with the endpoint chains of its old form in `before` too.
    static func chains(of port: ServicePort, _ before: DesiredState) -> Set<String> {
        let chains = IptablesNames.PortChains(port.name)
        var names: Set<String> = [chains.clusterPolicy, chains.localPolicy, chains.external, chains.firewall]
        let old = before.services[port.name.service]?.first { $0.name == port.name }
        for endpoint in port.reachableEndpoints + (old?.reachableEndpoints ?? []) { names.insert(chains.endpoint(endpoint)) }
        return names
    }

    static func endpointChain(_ port: ServicePort, _ endpoint: ServiceEndpoint) -> String {
        IptablesNames.PortChains(port.name).endpoint(endpoint)
    }
}
