import Foundation
import ProxyTesting
import ServiceModel

/// The demo's story: build the cluster, then show — with real connections, each checked — what proxyd does for a
/// ClusterIP, a NodePort, externalTrafficPolicy Local and a scale-down, and what it programmed.
struct DemoScript: Sendable {
    static let steps = 6
    /// Connections per load-balancing check: with two endpoints, the chance that one of them gets none is 2⁻¹⁹.
    static let connectionsPerCheck = 20
    /// How long a change may take to reach the rules: the watch, min-sync-period (1 s) and the sync. A deadline
    /// for a broken proxyd, not a wait: the demo moves on as soon as proxyd logs the sync.
    static let syncDeadline: Duration = .seconds(20)

    let plan: DemoPlan
    let proxyd: String
    let narrator: Narrator
    let witness: CleanupWitness
    /// A pause after each step, for a person to read it (not for synchronization: every check awaits its events).
    let pace: Duration
    /// With `--hold`: wait for Enter once the namespaces exist and before each step.
    let hold: Hold?

    func run() async throws {
        let started = ContinuousClock.now
        narrator.line("proxyd live demo: a two-node Kubernetes network on this machine, built from network namespaces.")
        narrator.step(1, of: Self.steps, "Build the cluster")
        do {
            try await DemoCluster.with(plan: plan, proxyd: proxyd, narrator: narrator, witness: witness, hold: hold) { cluster in
                let steps = [clusterIPAcrossNodes, nodePortFromOutside, localPolicyKeepsClientAddress, scaleDown, rulesOfOneNode]
                for (number, step) in zip(2..., steps) {
                    try await hold?.wait("Before step \(number)/\(Self.steps)")
                    if pace > .zero { try await Task.sleep(for: pace) }
                    try await step(cluster)
                }
            }
        } catch {
            reportCleanup()
            throw error
        }
        guard reportCleanup() else { throw DemoFailure("the demo left namespaces or processes behind").alreadyReported }
        let seconds = Double((ContinuousClock.now - started).components.attoseconds) / 1e18
            + Double((ContinuousClock.now - started).components.seconds)
        narrator.line("Demo finished in \(String(format: "%.0f", seconds)) s: every check passed.")
    }

    // MARK: Steps

    private func clusterIPAcrossNodes(_ cluster: DemoCluster) async throws {
        let frontend = plan.frontend
        let toolbox = try cluster.pod("toolbox")
        narrator.step(2, of: Self.steps, "A ClusterIP balances across nodes")
        narrator.say("""
            Service \(frontend.key) has ClusterIP \(frontend.clusterIP):\(frontend.port); its ready endpoints are \
            frontend-a on node-a and frontend-b on node-b. (frontend-c is terminating: it gets traffic only if no \
            endpoint is ready.)
            From pod toolbox (\(toolbox.ipv4)) on node-b, \(Self.connectionsPerCheck) new connections to \
            \(frontend.clusterIP):\(frontend.port):
            """)
        let tally = try await cluster.connections(from: toolbox, to: frontend.clusterIP, port: frontend.port, count: Self.connectionsPerCheck)
        narrator.say("  " + tally.summary)
        try check("node-b's rules spread them over its own pod and, across the bridge, node-a's") {
            try tally.requireAnswered(by: ["frontend-a", "frontend-b"], "ClusterIP from toolbox")
        }
        try check("the pods saw toolbox's own address: pod-to-Service traffic is not masqueraded") {
            try tally.requirePeers([toolbox.ipv4], "ClusterIP from toolbox")
        }
    }

    private func nodePortFromOutside(_ cluster: DemoCluster) async throws {
        let frontend = plan.frontend
        let nodeA = plan.nodeAddresses[.a]!
        narrator.step(3, of: Self.steps, "A NodePort from outside the cluster")
        narrator.say("""
            \(frontend.key) is a NodePort Service: port \(frontend.nodePort) on every node's address.
            From the client, \(Self.connectionsPerCheck) connections to node-a \(nodeA):\(frontend.nodePort):
            """)
        let tally = try await cluster.connections(from: cluster.lab.client, to: nodeA, port: frontend.nodePort, count: Self.connectionsPerCheck)
        narrator.say("  " + tally.summary)
        try check("node-a forwards them to both frontend pods, on both nodes") {
            try tally.requireAnswered(by: ["frontend-a", "frontend-b"], "NodePort on node-a")
        }
        try check("""
            the pods saw node-a's addresses (\(ConnectionTally.list(tally.peers))), not the client's: with \
            externalTrafficPolicy Cluster the node masquerades, so replies return through it
            """) {
            try tally.requireNoPeer(DemoPlan.clientAddress, "NodePort on node-a")
        }
    }

    private func localPolicyKeepsClientAddress(_ cluster: DemoCluster) async throws {
        let checkout = plan.checkout
        narrator.step(4, of: Self.steps, "externalTrafficPolicy: Local keeps the client's address")
        narrator.say("""
            \(checkout.key) is a LoadBalancer with externalTrafficPolicy Local, NodePort \(checkout.nodePort): a node \
            sends outside traffic only to its own endpoints, without masquerading.
            """)
        let count = 5
        for (node, pod, note) in [
            (DemoPlan.Node.b, "checkout-b", "node-b's own endpoint"),
            (.a, "checkout-a", "node-a's only endpoint, terminating but still serving, so it is used rather than dropping the traffic"),
        ] {
            let address = plan.nodeAddresses[node]!
            narrator.say("From the client, \(count) connections to \(node) \(address):\(checkout.nodePort):")
            let tally = try await cluster.connections(from: cluster.lab.client, to: address, port: checkout.nodePort, count: count)
            narrator.say("  " + tally.summary)
            try check("\(pod) answered (\(note)) and saw the client's own address \(DemoPlan.clientAddress)") {
                try tally.requireAnswered(by: [pod], "eTP=Local NodePort on \(node)")
                try tally.requirePeers([DemoPlan.clientAddress], "eTP=Local NodePort on \(node)")
            }
        }
    }

    private func scaleDown(_ cluster: DemoCluster) async throws {
        let frontend = plan.frontend
        let toolbox = try cluster.pod("toolbox")
        let removed = DemoPlan.pod("frontend-b")!.exampleAddress!.description
        narrator.step(5, of: Self.steps, "Scale down: the traffic moves")
        var slice = plan.frontendSlice
        slice.endpoints = slice.endpoints?.filter { !$0.addresses.contains(removed) }
        narrator.say("""
            \(frontend.key) is scaled down: its pod on node-b, frontend-b, is deleted. The API server's EndpointSlice \
            \(slice.metadata.name) now lists frontend-a (and the terminating frontend-c); both proxyds are watching.
            """)
        let syncsBefore = Dictionary(uniqueKeysWithValues: DemoPlan.Node.allCases.map { ($0, cluster.proxyd($0).syncCount) })
        let changed = ContinuousClock.now
        try await cluster.server.put(.endpointSlice(slice))

        let nodeB = plan.nodeAddresses[.b]!
        let nodeA = plan.nodeAddresses[.a]!
        let checks: [(DemoPlan.Node, [(String, LabHost, IPAddress, UInt16, String)])] = [
            (.b, [
                ("From toolbox on node-b to \(frontend.clusterIP):\(frontend.port)", toolbox, frontend.clusterIP, frontend.port,
                 "ClusterIP traffic from node-b now all goes to frontend-a on node-a"),
                ("From the client to node-b \(nodeB):\(frontend.nodePort)", cluster.lab.client, nodeB, frontend.nodePort,
                 "node-b's NodePort forwards to node-a's pod: a node needs no endpoint of its own"),
            ]),
            (.a, [
                ("From the client to node-a \(nodeA):\(frontend.nodePort)", cluster.lab.client, nodeA, frontend.nodePort,
                 "node-a's NodePort now sends everything to its own frontend-a"),
            ]),
        ]
        for (node, nodeChecks) in checks {
            let proxyd = cluster.proxyd(node)
            var syncs = syncsBefore[node]!
            var tallies: [ConnectionTally] = []
            // A sync logged after the change normally carries it; if one (a periodic resync) raced ahead, the next does.
            while true {
                let line = try await proxyd.waitForSync(after: syncs, timeout: Self.syncDeadline - (ContinuousClock.now - changed))
                syncs += 1
                tallies = []
                for (_, host, address, port, _) in nodeChecks {
                    tallies.append(try await cluster.connections(from: host, to: address, port: port, count: Self.connectionsPerCheck))
                }
                let moved = tallies.allSatisfy { (try? $0.requireAnswered(by: ["frontend-a"], "")) != nil }
                if moved || ContinuousClock.now - changed >= Self.syncDeadline {
                    narrator.say("\(node): \(line)")
                    break
                }
            }
            for ((what, _, _, _, passed), tally) in zip(nodeChecks, tallies) {
                narrator.say("\(what): \(tally.summary)")
                try check(passed) { try tally.requireAnswered(by: ["frontend-a"], "\(what) after the scale-down") }
            }
        }
    }

    private func rulesOfOneNode(_ cluster: DemoCluster) async throws {
        let frontend = plan.frontend
        narrator.step(6, of: Self.steps, "What proxyd programmed on node-b")
        narrator.say("""
            proxyd owns the nftables tables `ip proxyd` and `ip6 proxyd`, nothing else. GET /debug/rules on its metrics \
            address shows the last transaction it applied; after the scale-down, a partial one touching only what changed:
            """)
        let rules = try await cluster.get("/debug/rules", port: DemoCluster.metricsPort, on: .b)
        guard rules.status == 200 else { throw report(DemoFailure("/debug/rules on node-b answered \(rules.status)")) }
        show(rules.body, limit: 30)
        let table = try await cluster.lab.exec(in: cluster.host(.b), ["nft", "list", "table", "ip", "proxyd"]).requireSuccess().stdout
        narrator.say("In the kernel (`nft list map ip proxyd <map>` on node-b), \(frontend.key) is a few map elements:")
        let mentions = ["\(frontend.clusterIP) . ", " \(frontend.nodePort) "]
        for map in ["service-ips", "service-endpoints", "service-nodeports", "nodeport-endpoints"] {
            let listing = try await cluster.lab.exec(in: cluster.host(.b), ["nft", "list", "map", "ip", "proxyd", map]).requireSuccess().stdout
            for element in Self.elements(listing) where mentions.contains(where: { (" " + element + " ").contains($0) }) {
                narrator.say("  \(map.padding(toLength: 19, withPad: " ", startingAt: 0)) \(element)")
            }
        }
        let frontendA = DemoPlan.pod("frontend-a")!.exampleAddress!.description
        let frontendB = DemoPlan.pod("frontend-b")!.exampleAddress!.description
        try check("node-b's table maps \(frontend.clusterIP) to frontend-a (\(frontendA)) and no longer to frontend-b (\(frontendB))") {
            guard table.contains("\(frontend.clusterIP) . tcp . \(frontend.port) . 0 : \(frontendA) . "), !table.contains(frontendB) else {
                throw DemoFailure("node-b's table does not show the scaled-down \(frontend.key):\n\(table)")
            }
        }
        narrator.say("""
            On a real node: nft list table ip proxyd, curl 127.0.0.1:10249/debug/rules (and /debug/model, /metrics); \
            docs/troubleshooting.md reads them. Without root, make dry-run prints what proxyd would program.
            """)
    }

    /// The elements of an `nft list map` listing, one per entry (`elements = { a : b, c : d }` over several lines).
    static func elements(_ listing: String) -> [String] {
        listing.split(separator: "\n").compactMap { line -> String? in
            var text = line.trimmingCharacters(in: .whitespaces)
            if text.hasPrefix("elements = { ") { text.removeFirst("elements = { ".count) } else if !text.contains(" : ") { return nil }
            while text.hasSuffix(",") || text.hasSuffix("}") { text = String(text.dropLast()).trimmingCharacters(in: .whitespaces) }
            return text.isEmpty ? nil : text
        }
    }

    /// Prints text as a quoted block, at most `limit` lines.
    private func show(_ text: String, limit: Int) {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        while lines.last?.isEmpty == true { lines.removeLast() }
        for line in lines.prefix(limit) { narrator.say("  | " + line) }
        if lines.count > limit { narrator.say("  | … (\(lines.count - limit) more lines)") }
    }

    // MARK: Checks and cleanup

    /// Runs one check: prints ✓ and `passed` if it holds, ✗ and the failure if not (then the demo ends).
    private func check(_ passed: String, _ body: () throws -> Void) throws(DemoFailure) {
        do {
            try body()
        } catch {
            throw report((error as? DemoFailure) ?? DemoFailure("\(error)"))
        }
        narrator.passed(passed)
    }

    /// Prints a failure as its step's ✗ line; returns it marked as printed.
    private func report(_ failure: DemoFailure) -> DemoFailure {
        narrator.failed(failure.message)
        return failure.alreadyReported
    }

    /// Checks that everything the demo created is gone and says so; false if something is left.
    @discardableResult
    private func reportCleanup() -> Bool {
        guard witness.createdAnything else { return true }
        let (namespaces, processes) = witness.leftovers()
        if namespaces.isEmpty && processes.isEmpty {
            narrator.passed("cleaned up: all \(witness.summary) the demo created are gone")
            return true
        }
        narrator.failed("left behind: namespaces \(namespaces), processes \(processes)")
        return false
    }
}

extension DemoFailure {
    /// The same failure, marked as printed already.
    var alreadyReported: DemoFailure {
        var copy = self
        copy.reported = true
        return copy
    }
}
