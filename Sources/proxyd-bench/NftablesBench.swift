import ArgumentParser
import Backends
import Foundation
import ProxyTesting
import ServiceModel

/// `proxyd-bench nftables`: cold syncs, one-Service changes, memory and first-packet latency of the nftables
/// backend, each in network namespaces of its own. Needs root. Prints Markdown tables for BENCHMARKS.md.
struct NftablesBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nftables",
        abstract: "Measure the nftables backend (root; creates and deletes its own network namespaces).")

    @Option(help: "Cluster sizes for cold syncs (Services × --endpoints).")
    var sizes: String = "1000,10000,30000"

    @Option(help: "Endpoints per Service for --sizes.")
    var endpoints: Int = 2

    @Option(help: "Extra cold-sync clusters as SERVICESxENDPOINTS.")
    var large: String = "5000x50"

    @Option(help: "Largest size for which kube-proxy's layout is loaded as a reference (it grows quadratically).")
    var upstreamUpTo: Int = 10000

    @Option(help: "Cold syncs per size (the median is reported).")
    var repetitions: Int = 3

    @Option(help: "Size at which one-Service changes are measured.")
    var changeSize: Int = 10000

    @Option(help: "Changes of each kind to time.")
    var changes: Int = 20

    @Option(help: "Service counts for first-packet latency.")
    var latencySizes: String = "10,10000,30000"

    @Option(help: "Connections per latency measurement.")
    var connections: Int = 2000

    func run() async throws {
        let proxyd = try sibling("proxyd")
        var report: [String] = ["## nftables backend", ""]
        report += ["### Cold full sync: objects decoded → rules committed (`proxyd --once`, fresh namespace)", ""]
        report += ["| Services × endpoints | wall (median of \(repetitions)) | proxyd peak RSS | decode | model | render | kernel (apply) | kube-proxy layout, kernel only |", "|---|---|---|---|---|---|---|---|"]
        var clusters = sizes.split(separator: ",").compactMap { Int($0) }.map { GeneratedCluster(services: $0, endpoints: endpoints) }
        for item in large.split(separator: ",") {
            let parts = item.split(separator: "x").compactMap { Int($0) }
            if parts.count == 2 { clusters.append(GeneratedCluster(services: parts[0], endpoints: parts[1])) }
        }
        for cluster in clusters {
            let cold = try coldSync(cluster, proxyd: proxyd)
            let phases = try await breakdown(cluster)
            let upstream = cluster.services <= upstreamUpTo && cluster.endpoints <= 2 ? try await upstreamLoad(cluster) : nil
            report.append(
                "| \(cluster.services) × \(cluster.endpoints) | \(format(cold.wall)) | \(cold.rssMiB) MiB | \(format(phases.decode)) | \(format(phases.model)) | \(format(phases.render)) | \(format(phases.apply)) | \(upstream.map(format) ?? "not run") |")
            FileHandle.standardError.write(Data("\(report.last!)\n".utf8))
        }
        report += ["", "### One-Service changes at \(changeSize) Services (model update → diff → render → apply, in process)", ""]
        report += ["| change | median | p99 | max |", "|---|---|---|---|"]
        for (name, sample) in try await changeLatencies(GeneratedCluster(services: changeSize, endpoints: 2)) {
            report.append("| \(name) | \(format(sample.median)) | \(format(sample.percentile(99))) | \(format(sample.percentile(100))) |")
        }
        report += ["", "### First-packet latency: TCP connect through the node (\(connections) connections each)", ""]
        report += ["| Services in the table | to a ClusterIP p50 | p99 | direct to the pod IP p50 | p99 |", "|---|---|---|---|---|"]
        for size in latencySizes.split(separator: ",").compactMap({ Int($0) }) {
            let (service, direct) = try await firstPacketLatency(services: size)
            report.append(
                "| \(size) | \(micros(service.median)) | \(micros(service.percentile(99))) | \(micros(direct.median)) | \(micros(direct.percentile(99))) |")
            FileHandle.standardError.write(Data("\(report.last!)\n".utf8))
        }
        print(report.joined(separator: "\n"))
    }

    // MARK: Cold syncs

    func coldSync(_ cluster: GeneratedCluster, proxyd: String) throws -> (wall: Double, rssMiB: Int) {
        let directory = NSTemporaryDirectory() + "proxyd-bench-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try cluster.json().write(to: URL(fileURLWithPath: directory + "/cluster.json"))
        var walls: [Double] = []
        var rss = 0
        for _ in 0..<repetitions {
            let namespace = try BenchNamespace()
            let result = try MeasuredProcess.run([
                "/usr/sbin/ip", "netns", "exec", namespace.name, proxyd, "--once", "--objects", directory,
                "--hostname-override", GeneratedCluster.nodeName, "--cluster-cidr", "10.0.0.0/8",
            ])
            guard result.status == 0 else { throw BenchError("proxyd --once failed for \(cluster.services) Services") }
            walls.append(result.wall.milliseconds)
            rss = max(rss, result.maxRSSKiB / 1024)
        }
        return (Sample(values: walls).median, rss)
    }

    struct Phases {
        var decode = 0.0, model = 0.0, render = 0.0, apply = 0.0
    }

    /// The same cold sync in process, phase by phase.
    func breakdown(_ cluster: GeneratedCluster) async throws -> Phases {
        let json = try cluster.json()
        var phases = Phases()
        let clock = ContinuousClock()
        var start = clock.now
        let document = ObjectDecoding.decodeJSON(json)
        phases.decode = (clock.now - start).milliseconds
        start = clock.now
        var snapshot = ClusterSnapshot(document.objects)
        snapshot.apply(.synced)
        let model = ProxyModel(configuration: configuration)
        let node = NodeContext(snapshot: snapshot, nodeName: GeneratedCluster.nodeName, localAddresses: [])
        let state = model.desiredState(for: .ipv4, snapshot: snapshot, node: node).state
        phases.model = (clock.now - start).milliseconds
        start = clock.now
        let transaction = NftablesRenderer().full([state], previous: nil).transaction
        phases.render = (clock.now - start).milliseconds
        let namespace = try BenchNamespace()
        let driver = try NftablesDriver(networkNamespace: namespace.path)
        start = clock.now
        try await driver.apply(transaction)
        phases.apply = (clock.now - start).milliseconds
        return phases
    }

    func upstreamLoad(_ cluster: GeneratedCluster) async throws -> Double {
        let text = UpstreamLayout.ruleset(cluster)
        let namespace = try BenchNamespace()
        let driver = try NftablesDriver(networkNamespace: namespace.path)
        let start = ContinuousClock.now
        _ = try await driver.run(text)
        return (ContinuousClock.now - start).milliseconds
    }

    var configuration: ProxyConfiguration {
        ProxyConfiguration(nodeName: GeneratedCluster.nodeName, clusterCIDRs: ["10.0.0.0/8"])
    }

    // MARK: Changes

    /// Adds, changes and removes single Services on a synced cluster, timing each sync as the daemon runs it.
    func changeLatencies(_ cluster: GeneratedCluster) async throws -> [(String, Sample)] {
        var snapshot = ClusterSnapshot(ObjectDecoding.decodeJSON(try cluster.json()).objects)
        snapshot.apply(.synced)
        let model = ProxyModel(configuration: configuration)
        let node = NodeContext(snapshot: snapshot, nodeName: GeneratedCluster.nodeName, localAddresses: [])
        var state = model.desiredState(for: .ipv4, snapshot: snapshot, node: node).state
        let namespace = try BenchNamespace()
        let backend = NftablesBackend(driver: try NftablesDriver(networkNamespace: namespace.path))
        _ = try await backend.sync([state], changes: nil, forceFull: true)

        func timedSync(_ events: [ObjectEvent]) async throws -> Double {
            let start = ContinuousClock.now
            var changed = Set<ObjectKey>()
            for event in events { changed.formUnion(snapshot.apply(event).services) }
            let diff = model.update(&state, services: changed, snapshot: snapshot, node: node).diff
            let result = try await backend.sync([state], changes: [diff], forceFull: false)
            precondition(!result.isFull && !result.transaction.isEmpty, "a one-Service change must be a partial sync")
            return (ContinuousClock.now - start).milliseconds
        }
        var added: [Double] = []
        var changedEndpoint: [Double] = []
        var removed: [Double] = []
        for index in cluster.services..<(cluster.services + changes) {
            added.append(try await timedSync([.added(.service(cluster.service(index))), .added(.endpointSlice(cluster.slice(index)))]))
        }
        for index in 0..<changes {
            // Replace every endpoint of one Service's slice (a rollout), keeping their number.
            changedEndpoint.append(try await timedSync([.modified(.endpointSlice(cluster.slice(index, endpointOffset: 1_000_000)))]))
        }
        for index in cluster.services..<(cluster.services + changes) {
            removed.append(try await timedSync([.deleted(.endpointSlice(cluster.slice(index))), .deleted(.service(cluster.service(index)))]))
        }
        return [
            ("add one Service (2 endpoints)", Sample(values: added)),
            ("change one Service's endpoints", Sample(values: changedEndpoint)),
            ("remove one Service", Sample(values: removed)),
        ]
    }

    // MARK: Data path

    /// TCP connect latency from the lab's client to a ClusterIP (DNAT to a pod) and straight to the pod, with
    /// `services` Services in proxyd's table.
    func firstPacketLatency(services: Int) async throws -> (Sample, Sample) {
        try await NetworkLab.with(LabSpec(pods: ["web-1"])) { lab in
            let pod = try lab.pod("web-1")
            _ = try await lab.serve(in: pod, tcp: [8080])
            let generated = GeneratedCluster(services: max(0, services - 1), endpoints: 2)
            var objects = ObjectDecoding.decodeJSON(try generated.json()).objects
            var web = Service(metadata: ObjectMeta(name: "web", namespace: "default"))
            web.spec.clusterIP = "10.95.0.1"
            web.spec.ports = [Service.Port(name: "http", protocol: "TCP", port: 80)]
            objects.append(.service(web))
            objects.append(.endpointSlice(EndpointSlice(
                metadata: ObjectMeta(name: "web-1", namespace: "default", labels: [EndpointSlice.serviceNameLabel: "web"]),
                addressType: "IPv4", endpoints: [.init(addresses: [pod.ipv4.description])],
                ports: [.init(name: "http", protocol: "TCP", port: 8080)])))
            let snapshot = ClusterSnapshot(objects)
            let model = ProxyModel(configuration: configuration)
            let node = NodeContext(snapshot: snapshot, nodeName: GeneratedCluster.nodeName, localAddresses: [])
            let state = model.desiredState(for: .ipv4, snapshot: snapshot, node: node).state
            let driver = try NftablesDriver(networkNamespace: "/run/netns/\(lab.node.namespace)")
            try await driver.apply(NftablesRenderer().full([state], previous: nil).transaction)

            func measure(_ address: IPAddress, _ port: UInt16) async throws -> Sample {
                let result = try await lab.exec(in: lab.client, [
                    try LabBinaries.path(of: "proxyd-lab"), "connect", "--tcp", address.description, String(port),
                    "--count", String(connections),
                ]).requireSuccess()
                let micros = result.stdout.split(separator: "\n").compactMap { line -> Double? in
                    guard let range = line.range(of: "\"micros\":") else { return nil }
                    return Double(line[range.upperBound...].prefix { $0.isNumber })
                }
                guard micros.count == connections else { throw BenchError("only \(micros.count) of \(connections) connections succeeded") }
                return Sample(values: micros)
            }
            let service = try await measure("10.95.0.1", 80)
            let direct = try await measure(pod.ipv4, 8080)
            return (service, direct)
        }
    }

    // MARK: Output

    func sibling(_ name: String) throws -> String {
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        let path = executable.deletingLastPathComponent().appendingPathComponent(name).path
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw BenchError("\(name) is not built next to proxyd-bench (\(path)); build it with the same configuration")
        }
        return path
    }

    func format(_ milliseconds: Double) -> String {
        milliseconds >= 1000 ? String(format: "%.2f s", milliseconds / 1000) : String(format: "%.1f ms", milliseconds)
    }

    func micros(_ value: Double) -> String { String(format: "%.0f µs", value) }
}
