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

    var bench: BackendBench {
        BackendBench(
            proxydFlags: ["--proxy-mode", "nftables"],
            renderAndApply: { state, namespace in
                let clock = ContinuousClock()
                var start = clock.now
                let transaction = NftablesRenderer().full([state], previous: nil).transaction
                let render = (clock.now - start).milliseconds
                let driver = try await NftablesDriver(networkNamespace: namespace)
                start = clock.now
                try await driver.apply(transaction)
                return (render, (clock.now - start).milliseconds)
            },
            makeBackend: { NftablesBackend(driver: try await NftablesDriver(networkNamespace: $0)) },
            repetitions: repetitions, changes: changes, connections: connections)
    }

    func run() async throws {
        let proxyd = try siblingExecutable("proxyd")
        let bench = self.bench
        var report: [String] = ["## nftables backend", ""]
        report += ["### Cold full sync: objects decoded → rules committed (`proxyd --once`, fresh namespace)", ""]
        report += ["| Services × endpoints | wall (median of \(repetitions)) | proxyd peak RSS | decode | model | render | kernel (apply) | kube-proxy layout, kernel only |", "|---|---|---|---|---|---|---|---|"]
        var clusters = parseSizes(sizes).map { GeneratedCluster(services: $0, endpoints: endpoints) }
        for item in large.split(separator: ",") {
            let parts = item.split(separator: "x").compactMap { Int($0) }
            if parts.count == 2 { clusters.append(GeneratedCluster(services: parts[0], endpoints: parts[1])) }
        }
        for cluster in clusters {
            let cold = try bench.coldSync(cluster, proxyd: proxyd)
            let phases = try await bench.breakdown(cluster)
            let upstream = cluster.services <= upstreamUpTo && cluster.endpoints <= 2 ? try await upstreamLoad(cluster) : nil
            report.append(
                "| \(cluster.services) × \(cluster.endpoints) | \(formatMilliseconds(cold.wall)) | \(cold.rssMiB) MiB | \(formatMilliseconds(phases.decode)) | \(formatMilliseconds(phases.model)) | \(formatMilliseconds(phases.render)) | \(formatMilliseconds(phases.apply)) | \(upstream.map(formatMilliseconds) ?? "not run") |")
            FileHandle.standardError.write(Data("\(report.last!)\n".utf8))
        }
        report += ["", "### One-Service changes at \(changeSize) Services (model update → diff → render → apply, in process)", ""]
        report += ["| change | median | p99 | max |", "|---|---|---|---|"]
        for (name, sample) in try await bench.changeLatencies(GeneratedCluster(services: changeSize, endpoints: 2)) {
            report.append("| \(name) | \(formatMilliseconds(sample.median)) | \(formatMilliseconds(sample.percentile(99))) | \(formatMilliseconds(sample.percentile(100))) |")
        }
        report += ["", "### First-packet latency: TCP connect through the node (\(connections) connections each)", ""]
        report += ["| Services in the table | to a ClusterIP p50 | p99 | direct to the pod IP p50 | p99 |", "|---|---|---|---|---|"]
        for size in parseSizes(latencySizes) {
            let (service, direct) = try await bench.firstPacketLatency(services: size)
            report.append(
                "| \(size) | \(formatMicroseconds(service.median)) | \(formatMicroseconds(service.percentile(99))) | \(formatMicroseconds(direct.median)) | \(formatMicroseconds(direct.percentile(99))) |")
            FileHandle.standardError.write(Data("\(report.last!)\n".utf8))
        }
        print(report.joined(separator: "\n"))
    }

    /// kube-proxy's nftables layout for the same cluster through the same kernel: the reference point.
    func upstreamLoad(_ cluster: GeneratedCluster) async throws -> Double {
        let text = UpstreamLayout.ruleset(cluster)
        let namespace = try BenchNamespace()
        let driver = try await NftablesDriver(networkNamespace: namespace.path)
        let start = ContinuousClock.now
        _ = try await driver.run(text)
        return (ContinuousClock.now - start).milliseconds
    }
}
