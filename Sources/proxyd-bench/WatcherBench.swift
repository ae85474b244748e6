import ArgumentParser
import Foundation
import Logging
import ProxyTesting
import ServiceModel
import Watcher

/// `proxyd-bench watcher`: the API server source against the fake API server on loopback — initial list of a
/// large cluster, change-to-event latency, and memory. Prints Markdown for BENCHMARKS.md.
struct WatcherBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watcher",
        abstract: "Measure the API server watcher against the fake API server on loopback (no root needed).")

    @Option(help: "Services (each with one EndpointSlice) in the listed cluster.")
    var services: Int = 10_000

    @Option(help: "Endpoints per EndpointSlice.")
    var endpoints: Int = 2

    @Option(help: "Initial lists per transport (the median is reported).")
    var repetitions: Int = 3

    @Option(help: "Changes timed per transport for change-to-event latency.")
    var changes: Int = 1000

    func run() async throws {
        let quiet = Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() })
        let cluster = GeneratedCluster(services: services, endpoints: endpoints)
        let server = try await FakeAPIServer.start()
        defer { Task { await server.stop() } }
        var objects: [KubernetesObject] = [.node(cluster.node)]
        for index in 0..<services {
            objects.append(.service(cluster.service(index)))
            objects.append(.endpointSlice(cluster.slice(index)))
        }
        try await server.put(objects)
        objects = []
        let configuration = APIServerConfiguration(server: server.url, origin: "bench")
        var report = ["## API server watcher (fake API server on loopback, in process)", ""]

        // Memory: a child process that only lists and holds the cluster, against one that lists only the Node.
        let bench = try sibling("proxyd-bench")
        var peaks: [String: Int] = [:]
        for (name, extra) in [("baseline", ["--node-only"]), ("cluster", [])] {
            let child = Process()
            child.executableURL = URL(fileURLWithPath: bench)
            child.arguments = ["watcher-list", "--server", server.url.absoluteString, "--node", GeneratedCluster.nodeName] + extra
            let output = Pipe()
            child.standardOutput = output
            try child.run()
            let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            child.waitUntilExit()
            let fields = text.split(whereSeparator: \.isWhitespace).compactMap { Int($0) }
            guard child.terminationStatus == 0, fields.count == 3 else { throw BenchError("watcher-list \(name) failed: \(text)") }
            peaks[name] = fields[2]
        }
        report += [
            "Memory: a process that lists and holds \(services) Services + \(services) EndpointSlices (\(endpoints) endpoints each) peaks at \(peaks["cluster"]! / 1024) MiB RSS, \((peaks["cluster"]! - peaks["baseline"]!) / 1024) MiB more than the same process listing only its Node (\(peaks["baseline"]! / 1024) MiB).",
            "",
        ]

        report += ["### Initial list: \(services) Services + \(services) EndpointSlices + the Node, until synced", ""]
        report += ["| transport | median of \(repetitions) | min | max |", "|---|---|---|---|"]
        for transport in [APITransportKind.urlSession, .asyncHTTPClient] {
            var times: [Double] = []
            for _ in 0..<repetitions {
                let (time, _) = try await initialList(configuration, transport: transport, logger: quiet)
                times.append(time)
            }
            let sample = Sample(values: times)
            report.append("| \(transport) | \(format(sample.median)) | \(format(sample.percentile(0))) | \(format(sample.percentile(100))) |")
            FileHandle.standardError.write(Data("\(report.last!)\n".utf8))
        }

        report += ["", "### Change → event: a Service updated on the server until its event reaches the consumer (\(changes) changes, one at a time, \(services) + \(services) objects watched)", ""]
        report += ["| transport | p50 | p99 | max |", "|---|---|---|---|"]
        for transport in [APITransportKind.urlSession, .asyncHTTPClient] {
            let sample = try await latencies(configuration, server: server, cluster: cluster, transport: transport, logger: quiet)
            report.append("| \(transport) | \(micros(sample.median)) | \(micros(sample.percentile(99))) | \(micros(sample.percentile(100))) |")
            FileHandle.standardError.write(Data("\(report.last!)\n".utf8))
        }

        let proxyd = try sibling("proxyd")
        let kubeconfig = NSTemporaryDirectory() + "proxyd-bench-kubeconfig-\(UUID().uuidString)"
        try FakeAPIServer.kubeconfig(server: server.url.absoluteString)
            .write(toFile: kubeconfig, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: kubeconfig) }
        let dryRun = try MeasuredProcess.run([
            proxyd, "--kubeconfig", kubeconfig, "--hostname-override", GeneratedCluster.nodeName, "--dry-run", "--output", "model",
        ])
        guard dryRun.status == 0 else { throw BenchError("proxyd --kubeconfig --dry-run failed") }
        report += [
            "", "`proxyd --kubeconfig … --dry-run --output=model` (list, model, print) of the same cluster: \(format(Double(dryRun.wall.components.seconds) * 1000 + Double(dryRun.wall.components.attoseconds) / 1e15)), peak RSS \(dryRun.maxRSSKiB / 1024) MiB.",
        ]
        print(report.joined(separator: "\n"))
        await server.stop()
    }

    /// Lists until synced; returns the time in milliseconds and the snapshot.
    func initialList(_ configuration: APIServerConfiguration, transport: APITransportKind, logger: Logger) async throws -> (Double, ClusterSnapshot) {
        let client = try APIClient.make(configuration: configuration, transport: transport, qps: 0, logger: logger)
        let source = APIServerSource(client: client, nodeName: GeneratedCluster.nodeName, logger: logger)
        let start = ContinuousClock.now
        let snapshot = try await InitialClusterState.load(from: source, timeout: .seconds(120))
        let elapsed = ContinuousClock.now - start
        await client.transport.shutdown()
        guard snapshot.services.count == services, snapshot.endpointSlices.count == services else {
            throw BenchError("listed \(snapshot.services.count) Services and \(snapshot.endpointSlices.count) slices, expected \(services)")
        }
        return (milliseconds(elapsed), snapshot)
    }

    /// Change-to-event latencies in milliseconds.
    func latencies(
        _ configuration: APIServerConfiguration, server: FakeAPIServer, cluster: GeneratedCluster, transport: APITransportKind,
        logger: Logger
    ) async throws -> Sample {
        let client = try APIClient.make(configuration: configuration, transport: transport, qps: 0, logger: logger)
        let source = APIServerSource(client: client, nodeName: GeneratedCluster.nodeName, logger: logger)
        let (arrivals, continuation) = AsyncStream.makeStream(of: (String, ContinuousClock.Instant).self)
        let task = Task {
            try await source.run { events in
                let now = ContinuousClock.now
                for event in events {
                    switch event {
                    case .modified(let object), .added(let object): continuation.yield((object.metadata.resourceVersion ?? "", now))
                    case .synced: continuation.yield(("synced", now))
                    case .deleted: break
                    }
                }
            }
        }
        var iterator = arrivals.makeAsyncIterator()
        while let (version, _) = await iterator.next(), version != "synced" {}
        var values: [Double] = []
        for change in 0..<changes {
            var service = cluster.service(change % services)
            service.metadata.annotations = ["bench/change": "\(change)"]
            let start = ContinuousClock.now
            let version = "\(try await server.put(.service(service)))"
            while let (seen, at) = await iterator.next() {
                if seen == version {
                    values.append(milliseconds(at - start))
                    break
                }
            }
        }
        task.cancel()
        _ = try? await task.value
        await client.transport.shutdown()
        return Sample(values: values)
    }

    func milliseconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
    }

    func format(_ milliseconds: Double) -> String {
        milliseconds >= 1000 ? String(format: "%.2f s", milliseconds / 1000) : String(format: "%.0f ms", milliseconds)
    }

    func micros(_ milliseconds: Double) -> String { String(format: "%.2f ms", milliseconds) }

    func sibling(_ name: String) throws -> String {
        let directory = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent().path
        let path = directory + "/" + name
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw BenchError("\(name) is not built next to proxyd-bench (\(path)); build it with the same configuration")
        }
        return path
    }
}
