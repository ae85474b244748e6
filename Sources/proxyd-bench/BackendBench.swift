import Backends
import Foundation
import ProxyTesting
import ServiceModel

/// The measurements every backend gets — cold syncs of the real binary, the same sync phase by phase in
/// process, one-Service changes at scale, first-packet latency through a lab node — with what differs between
/// backends passed in. Each measurement runs in network namespaces of its own.
struct BackendBench {
    /// `--proxy-mode …` and any other flags for `proxyd --once`.
    var proxydFlags: [String]
    /// Renders `state` in full and applies it in the network namespace at the path; returns (render, apply) in ms.
    var renderAndApply: @Sendable (DesiredState, String) async throws -> (render: Double, apply: Double)
    /// A backend programming the network namespace at the path.
    var makeBackend: @Sendable (String) async throws -> any Backend
    var repetitions: Int
    var changes: Int
    var connections: Int

    static var configuration: ProxyConfiguration {
        ProxyConfiguration(nodeName: GeneratedCluster.nodeName, clusterCIDRs: ["10.0.0.0/8"])
    }

    // MARK: Cold syncs

    /// `proxyd --once` into fresh namespaces: median wall time and peak RSS. `inspect` sees each namespace after
    /// its sync (to count rules).
    func coldSync(_ cluster: GeneratedCluster, proxyd: String, inspect: (BenchNamespace) throws -> Void = { _ in }) throws -> (wall: Double, rssMiB: Int) {
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
            ] + proxydFlags)
            guard result.status == 0 else { throw BenchError("proxyd --once failed for \(cluster.services) Services") }
            walls.append(result.wall.milliseconds)
            rss = max(rss, result.maxRSSKiB / 1024)
            try inspect(namespace)
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
        let model = ProxyModel(configuration: Self.configuration)
        let node = NodeContext(snapshot: snapshot, nodeName: GeneratedCluster.nodeName, localAddresses: [])
        let state = model.desiredState(for: .ipv4, snapshot: snapshot, node: node).state
        phases.model = (clock.now - start).milliseconds
        let namespace = try BenchNamespace()
        (phases.render, phases.apply) = try await renderAndApply(state, namespace.path)
        return phases
    }

    // MARK: Changes

    /// Adds, changes and removes single Services on a synced cluster, timing each sync as the daemon runs it.
    func changeLatencies(_ cluster: GeneratedCluster) async throws -> [(String, Sample)] {
        var snapshot = ClusterSnapshot(ObjectDecoding.decodeJSON(try cluster.json()).objects)
        snapshot.apply(.synced)
        let model = ProxyModel(configuration: Self.configuration)
        let node = NodeContext(snapshot: snapshot, nodeName: GeneratedCluster.nodeName, localAddresses: [])
        var state = model.desiredState(for: .ipv4, snapshot: snapshot, node: node).state
        let namespace = try BenchNamespace()
        let backend = try await makeBackend(namespace.path)
        _ = try await backend.sync([state], .full)

        func timedSync(_ events: [ObjectEvent]) async throws -> Double {
            let start = ContinuousClock.now
            var changed = Set<ObjectKey>()
            for event in events { changed.formUnion(snapshot.apply(event).services) }
            let diff = model.update(&state, services: changed, snapshot: snapshot, node: node).diff
            let result = try await backend.sync([state], .changes([diff]))
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
    /// `services` Services programmed on the node.
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
            let model = ProxyModel(configuration: Self.configuration)
            let node = NodeContext(snapshot: snapshot, nodeName: GeneratedCluster.nodeName, localAddresses: [])
            let state = model.desiredState(for: .ipv4, snapshot: snapshot, node: node).state
            _ = try await renderAndApply(state, "/run/netns/\(lab.node.namespace)")

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
}

// MARK: Output

/// A tool built next to proxyd-bench (`proxyd`).
func siblingExecutable(_ name: String) throws -> String {
    let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    let path = executable.deletingLastPathComponent().appendingPathComponent(name).path
    guard FileManager.default.isExecutableFile(atPath: path) else {
        throw BenchError("\(name) is not built next to proxyd-bench (\(path)); build it with the same configuration")
    }
    return path
}

func formatMilliseconds(_ milliseconds: Double) -> String {
    milliseconds >= 1000 ? String(format: "%.2f s", milliseconds / 1000) : String(format: "%.1f ms", milliseconds)
}

func formatMicroseconds(_ value: Double) -> String { String(format: "%.0f µs", value) }

/// Sizes like `1000,10000`.
func parseSizes(_ text: String) -> [Int] { text.split(separator: ",").compactMap { Int($0) } }
