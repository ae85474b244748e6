import Backends
import Foundation
import ProxyTesting
import ServiceModel
import Testing

/// One Service the kernel refuses must never stop the others, and text from objects must never reach the kernel
/// as anything but text: against the real kernel, in lab namespaces.
@Suite("nftables: a refused or hostile Service stops nothing else", .requiresRoot)
struct NftablesRefusalTests {
    static let configuration = NftablesSyncTests.configuration

    func states(_ objects: [KubernetesObject]) -> [DesiredState] {
        NftablesSyncTests().states(objects)
    }

    /// A Service port nft refuses: its ClientIP affinity timeout is larger than nft takes ("value too large"; the
    /// model never produces one — it stands for any rendering the kernel may refuse).
    func refused(_ name: String, clusterIP n: Int, endpoints: [IPAddress], family: IPFamily = .ipv4) -> ServicePort {
        let a = ScenarioAddresses(family)
        return ServicePort(
            name: ServicePortName(service: ObjectKey(namespace: "default", name: name), port: "http", protocol: .tcp),
            clusterIP: a.ip(a.clusterIP(n)), port: 80, sessionAffinity: .clientIP(timeoutSeconds: 9_999_999_999_999),
            clusterEndpoints: endpoints.map { ServiceEndpoint(address: $0, port: 8080) }, hasAnyEndpoints: true)
    }

    func adding(_ port: ServicePort, to states: [DesiredState]) -> [DesiredState] {
        states.map { state in
            guard state.family == port.clusterIP.family else { return state }
            var state = state
            state.services[port.name.service] = [port]
            return state
        }
    }

    func diffs(_ before: [DesiredState], _ after: [DesiredState]) -> [DesiredStateDiff] {
        zip(before, after).map { DesiredStateDiff(from: $0, to: $1) }
    }

    @Test func aServiceTheKernelRefusesIsLeftOutNamedAndEverythingElseCarriesConnections() async throws {
        let a = ScenarioAddresses(.ipv4)
        try await NetworkLab.with(ServiceScenario.labSpec) { lab in
            _ = try await lab.serve(in: try lab.pod("web-1"), tcp: [8080])
            let driver = try await NftablesDriver(networkNamespace: "/run/netns/\(lab.node.namespace)")
            let backend = NftablesBackend(driver: driver)
            let good = states(a.nodes + [a.service("web", clusterIP: 10), a.slice("web", ready: ["web-1"])])

            // A full sync: the refused port is found and left out, the good Service is programmed.
            let first = adding(refused("bad", clusterIP: 20, endpoints: [a.pod("web-1")]), to: good)
            let result = try await backend.sync(first, .full)
            #expect(result.refusedServicePorts.map(\.description) == [
                "Service default/bad port http (IPv4): the kernel refused its rules: value too large; not programmed"
            ])
            #expect(result.warnings.contains(result.refusedServicePorts.first?.description ?? "none"))
            #expect(try await lab.connect(from: lab.client, to: a.ip(a.clusterIP(10)), port: 80).replyName == "web-1")
            #expect(try await lab.connect(from: lab.client, to: a.ip(a.clusterIP(20)), port: 80, timeout: .milliseconds(300)).replyName == nil)

            // It changes and is still refused: checked alone, it stays out and the partial sync goes on.
            let second = adding(refused("bad", clusterIP: 20, endpoints: [a.pod("web-1"), a.pod("web-2")]), to: good)
            let partial = try await backend.sync(second, .changes(diffs(first, second)))
            #expect(!partial.isFull)
            #expect(partial.refusedServicePorts.map(\.name.service.name) == ["bad"])
            // A periodic full sync does not check it again while it is unchanged.
            let periodic = try await backend.sync(second, .full)
            #expect(periodic.refusedServicePorts.count == 1)
            #expect(!periodic.warnings.contains { $0.contains("refused") })

            // Fixed, it is programmed by a partial sync.
            let fixed = states(a.nodes + [
                a.service("web", clusterIP: 10), a.slice("web", ready: ["web-1"]),
                a.service("bad", clusterIP: 20), a.slice("bad", ready: ["web-1"]),
            ])
            let repaired = try await backend.sync(fixed, .changes(diffs(second, fixed)))
            #expect(!repaired.isFull)
            #expect(repaired.refusedServicePorts.isEmpty)
            #expect(try await lab.connect(from: lab.client, to: a.ip(a.clusterIP(20)), port: 80).replyName == "web-1")

            // A new refused Service in a partial sync: the sync turns full, leaves it out and keeps the rest.
            let third = adding(refused("worse", clusterIP: 30, endpoints: [a.pod("web-1")]), to: fixed)
            let replaced = try await backend.sync(third, .changes(diffs(fixed, third)))
            #expect(replaced.isFull)
            #expect(replaced.refusedServicePorts.map(\.name.service.name) == ["worse"])
            #expect(try await lab.connect(from: lab.client, to: a.ip(a.clusterIP(10)), port: 80).replyName == "web-1")
            #expect(try await lab.connect(from: lab.client, to: a.ip(a.clusterIP(20)), port: 80).replyName == "web-1")
        }
    }

    @Test func aPartialSyncAddingALoadBalancerAnotherServiceAlsoClaimsWithOverlappingRangesIsAccepted() async throws {
        let a = ScenarioAddresses(.ipv4)
        func lb(_ name: String, clusterIP n: Int, ranges: [String]) -> KubernetesObject {
            a.service(name, clusterIP: n, type: "LoadBalancer", ports: [.tcp(80, name: "http", nodePort: 30000 + n)]) {
                $0.status = .init(loadBalancer: .init(ingress: [.init(ip: a.loadBalancerIP(9))]))
                $0.spec.loadBalancerSourceRanges = ranges
            }
        }
        try await NetworkLab.with(ServiceScenario.labSpec) { lab in
            _ = try await lab.serve(in: try lab.pod("web-1"), tcp: [8080])
            let driver = try await NftablesDriver(networkNamespace: "/run/netns/\(lab.node.namespace)")
            let backend = NftablesBackend(driver: driver)
            // `b` holds the load balancer first; `a` (which sorts first, so wins) claims it with a range inside b's.
            let before = states(a.nodes + [lb("b", clusterIP: 12, ranges: ["172.18.0.0/16"]), a.slice("b", ready: ["web-1"])])
            _ = try await backend.sync(before, .full)
            let after = states(a.nodes + [
                lb("a", clusterIP: 11, ranges: [a.nodeNetwork, a.clientRange]), a.slice("a", ready: ["web-1"]),
                lb("b", clusterIP: 12, ranges: ["172.18.0.0/16"]), a.slice("b", ready: ["web-1"]),
            ])
            let result = try await backend.sync(after, .changes(diffs(before, after)))
            #expect(!result.isFull, "\(result.warnings)")
            #expect(result.refusedServicePorts.isEmpty)
            #expect(try await lab.connect(from: lab.client, to: a.ip(a.loadBalancerIP(9)), port: 80).replyName == "web-1")
        }
    }

    // MARK: Fuzzing names

    /// Random bytes as a name, biased towards what nft's scanner gives a meaning.
    static func hostileName(_ rng: inout SplitMix64) -> String {
        let special: [UInt8] = Array("\"\\\n\r\t;{}#*:/ ".utf8) + [0, 0x7f, 0xc2, 0x85, 0xe2, 0x80, 0xa8]
        let length = Int(rng.next() % 200)
        var bytes: [UInt8] = []
        for _ in 0..<length {
            bytes.append(rng.next() % 3 == 0 ? special[Int(rng.next() % UInt64(special.count))] : UInt8(truncatingIfNeeded: rng.next()))
        }
        if rng.next() % 4 == 0 { bytes = Array("x\" : accept }\ndelete table inet canary\nadd table ip evil #".utf8) + bytes }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Names straight into the model's output (past validation): the transaction still parses, and it touches
    /// nothing but proxyd's tables.
    @Test(arguments: 0..<4)
    func randomBytesAsNamesNeverEscapeTheirStrings(seed: Int) async throws {
        var rng = SplitMix64(seed: UInt64(seed) &+ 90_000)
        try await NetworkLab.with(LabSpec(pods: [])) { lab in
            let canary = "table inet canary {\n\tchain input {\n\t\ttype filter hook input priority filter; policy accept;\n\t\ttcp dport 9 counter packets 0 bytes 0 accept\n\t}\n}"
            try await lab.nft(in: lab.node, canary)
            let before = try await lab.exec(in: lab.node, ["nft", "list", "table", "inet", "canary"]).requireSuccess().stdout
            let driver = try await NftablesDriver(networkNamespace: "/run/netns/\(lab.node.namespace)")
            for _ in 0..<25 {
                let name = Self.hostileName(&rng)
                let namespace = Self.hostileName(&rng)
                let portName = Self.hostileName(&rng)
                var rendered: [DesiredState] = []
                for family in IPFamily.allCases {
                    let a = ScenarioAddresses(family)
                    let detector: LocalTrafficDetector = rng.next() % 2 == 0 ? .interfaceName(Self.hostileName(&rng)) : .interfaceNamePrefix(Self.hostileName(&rng))
                    var state = DesiredState(family: family, node: .init(nodeIPs: [a.node], nodePortAddresses: .addresses([a.node]), localTrafficDetector: detector))
                    let key = ObjectKey(namespace: namespace, name: name)
                    let endpoint = ServiceEndpoint(address: a.pod("web-1"), port: 8080, isLocal: true)
                    state.services[key] = [
                        ServicePort(
                            name: ServicePortName(service: key, port: portName, protocol: .tcp), clusterIP: a.ip(a.clusterIP(10)),
                            port: 80, nodePort: 30080, loadBalancerIPs: [a.ip(a.loadBalancerIP(10))],
                            loadBalancerSourceRanges: [CIDR(a.nodeNetwork)!], sessionAffinity: .clientIP(timeoutSeconds: 60),
                            externalTrafficPolicy: .local, clusterEndpoints: [endpoint], localEndpoints: [endpoint], hasAnyEndpoints: true),
                        ServicePort(
                            name: ServicePortName(service: key, port: portName + "x", protocol: .udp), clusterIP: a.ip(a.clusterIP(10)),
                            port: 53, hasAnyEndpoints: false),
                    ]
                    rendered.append(state)
                }
                let transaction = NftablesRenderer().full(rendered, previous: nil).transaction
                for line in transaction.lines where !line.hasPrefix("#") && !line.hasPrefix("\t") && line != "}" {
                    #expect(line.contains(" ip proxyd") || line.contains(" ip6 proxyd"), "a command outside proxyd's tables: \(line)")
                }
                do throws(NftablesError) {
                    try await driver.check(transaction)
                    try await driver.apply(transaction)
                } catch {
                    Issue.record("refused for names \(KubernetesName.quotedForDisplay(namespace))/\(KubernetesName.quotedForDisplay(name)):\(KubernetesName.quotedForDisplay(portName)): \(error)")
                    return
                }
                let tables = try await lab.exec(in: lab.node, ["nft", "list", "tables"]).requireSuccess().stdout
                #expect(tables.split(separator: "\n").sorted() == ["table inet canary", "table ip proxyd", "table ip6 proxyd"])
                #expect(try await lab.exec(in: lab.node, ["nft", "list", "table", "inet", "canary"]).requireSuccess().stdout == before)
            }
        }
    }
}
