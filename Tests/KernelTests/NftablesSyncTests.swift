import Backends
import Foundation
import ProxyTesting
import ServiceModel
import Testing

/// How proxyd's nftables syncs behave against the kernel: restarts, partial syncs, failures, cleanup.
@Suite("nftables syncs against the kernel", .requiresRoot)
struct NftablesSyncTests {
    static let configuration = ProxyConfiguration(
        nodeName: ServiceScenario.nodeName, clusterCIDRs: [LabTopology.clusterCIDRIPv4, LabTopology.clusterCIDRIPv6])

    func states(_ objects: [KubernetesObject]) -> [DesiredState] {
        let snapshot = ClusterSnapshot(objects)
        let model = ProxyModel(configuration: Self.configuration)
        let node = NodeContext(snapshot: snapshot, nodeName: ServiceScenario.nodeName, localAddresses: [])
        return [IPFamily.ipv4, .ipv6].map { model.desiredState(for: $0, snapshot: snapshot, node: node).state }
    }

    func listing(_ driver: NftablesDriver) async throws -> String {
        let v4 = try await driver.run("list table ip proxyd")
        let v6 = try await driver.run("list table ip6 proxyd")
        return NftablesListing.normalized(v4) + "\n" + NftablesListing.normalized(v6)
    }

    @Test(arguments: IPFamily.allCases)
    func restartingOverItsOwnTablesKeepsAnEstablishedConnectionFlowing(family: IPFamily) async throws {
        let a = ScenarioAddresses(family)
        let service = a.service("web", clusterIP: 10)
        let slice = a.slice("web", ready: ["web-1", "web-r"], ports: [.init(name: "http", protocol: "TCP", port: 9000)])
        try await NetworkLab.with(ServiceScenario.labSpec) { lab in
            for pod in lab.pods + lab.remotePods {
                _ = try await lab.start(in: pod, [try LabBinaries.path(of: "proxyd-lab"), "serve", "--name", pod.name, "--tcp-echo", "9000"], readyLine: "ready")
            }
            _ = try await ProxydInLab.once(lab, objects: a.nodes + [service, slice])
            let stopFile = NSTemporaryDirectory() + "proxyd-hold-" + UUID().uuidString
            defer { try? FileManager.default.removeItem(atPath: stopFile) }
            let client = try await lab.start(in: lab.client, [
                try LabBinaries.path(of: "proxyd-lab"), "connect", "--tcp", a.clusterIP(10), "80", "--hold-until", stopFile,
            ])
            let greeting = try await client.waitForLine { $0.contains("\"outcome\":\"reply\"") }

            // Restart twice over the existing tables: unchanged objects, then one more Service.
            _ = try await ProxydInLab.once(lab, objects: a.nodes + [service, slice])
            _ = try await ProxydInLab.once(lab, objects: a.nodes + [service, slice, a.service("other", clusterIP: 11)])
            // Line 0 is the greeting, line n answers `ping n`: wait for two pings sent after the restarts.
            let answeredBefore = client.outputLines.count
            let awaited = "ping \(answeredBefore + 2)"
            _ = try await client.waitForLine(timeout: .seconds(10)) { $0.contains(awaited) }
            _ = FileManager.default.createFile(atPath: stopFile, contents: nil)
            _ = try await client.waitForExit()

            let lines = client.outputLines
            #expect(lines.count >= answeredBefore + 3)
            #expect(lines.allSatisfy { $0.contains("\"outcome\":\"reply\"") }, "a ping failed: \(lines)")
            // The same endpoint answered throughout: the connection was never re-balanced or cut.
            let answeringPod = greeting.contains("web-1") ? "web-1" : "web-r"
            #expect(lines.allSatisfy { $0.contains(answeringPod) }, "\(lines)")
        }
    }

    @Test(arguments: 0..<6)
    func partialSyncsLeaveExactlyWhatAFullSyncOfTheFinalStateWould(seed: Int) async throws {
        try await NetworkLab.with(LabSpec(pods: [])) { lab in
            let driver = try await NftablesDriver(networkNamespace: "/run/netns/\(lab.node.namespace)")
            let backend = NftablesBackend(driver: driver)
            var cluster = RandomCluster(seed: UInt64(seed), nodeName: ServiceScenario.nodeName)
            let node = Fixtures.node(ServiceScenario.nodeName, addresses: ["172.18.0.2", "fd00:172:18::2"])
            var last = states(cluster.objects(node: node))
            _ = try await backend.sync(last, .full)
            for _ in 0..<8 {
                let previous = last
                last = states(cluster.objects(node: node))
                let diffs = zip(previous, last).map { DesiredStateDiff(from: $0, to: $1) }
                do throws(BackendSyncError) {
                    let result = try await backend.sync(last, .changes(diffs))
                    #expect(!result.isFull)
                } catch {
                    Issue.record("\(error.message)\n\(error.transaction)")
                    return
                }
            }
            let afterPartials = try await listing(driver)
            // A fresh backend knows nothing and replaces the tables: the reference content.
            _ = try await NftablesBackend(driver: driver).sync(last, .full)
            let afterFull = try await listing(driver)
            #expect(afterPartials == afterFull)
        }
    }

    @Test func aRefusedPartialSyncIsAnsweredAtOnceByAFullOne() async throws {
        let a = ScenarioAddresses(.ipv4)
        try await NetworkLab.with(LabSpec(pods: [])) { lab in
            let driver = try await NftablesDriver(networkNamespace: "/run/netns/\(lab.node.namespace)")
            let backend = NftablesBackend(driver: driver)
            let before = states(a.nodes + [a.service("web", clusterIP: 10), a.slice("web", ready: ["web-1"])])
            _ = try await backend.sync(before, .full)
            // Someone removes an element behind proxyd's back; the next partial sync deletes it again and is refused.
            try await lab.nft(in: lab.node, "delete element ip proxyd service-ips { 10.96.0.10 . tcp . 80 }")
            // The Service goes, so the partial sync deletes the element that is no longer there.
            let after = states(a.nodes + [a.service("new", clusterIP: 12), a.slice("new", ready: ["web-2"])])
            let result = try await backend.sync(after, .changes(zip(before, after).map { DesiredStateDiff(from: $0, to: $1) }))
            #expect(result.isFull)
            #expect(result.warnings.contains { $0.hasPrefix("the kernel refused a partial sync (Could not process rule: No such file or directory); replacing proxyd's rules instead") }, "\(result.warnings)")
            #expect(result.refusedServicePorts.isEmpty)
            let listing = try await listing(driver)
            // What a backend that never saw the refusal programs.
            _ = try await NftablesBackend(driver: driver).sync(after, .full)
            #expect(try await self.listing(driver) == listing)
            #expect(listing.contains("10.96.0.12 . tcp . 80"))
        }
    }

    @Test func cleanupRemovesProxydsTablesAndNothingElse() async throws {
        try await NetworkLab.with(LabSpec(pods: [])) { lab in
            try await lab.nft(in: lab.node, "table ip someone-else {\n chain c { type filter hook input priority 0; policy accept; }\n}")
            _ = try await ProxydInLab.once(lab, objects: ScenarioAddresses(.ipv4).nodes)
            _ = try await lab.exec(in: lab.node, try ProxydInLab.command(["--cleanup"])).requireSuccess()
            _ = try await lab.exec(in: lab.node, try ProxydInLab.command(["--cleanup"])).requireSuccess()
            let tables = try await lab.exec(in: lab.node, ["nft", "list", "tables"]).requireSuccess().stdout
            #expect(tables.split(separator: "\n").map(String.init) == ["table ip someone-else"])
        }
    }
}
