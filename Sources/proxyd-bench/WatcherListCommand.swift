import ArgumentParser
import Foundation
import Logging
import ServiceModel
import Watcher

/// `proxyd-bench watcher-list` (internal): lists a cluster from an API server until synced, holds it, and
/// exits — run as a child by `proxyd-bench watcher` so that its peak RSS is the watcher's alone.
struct WatcherListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watcher-list", abstract: "List a cluster until synced, then exit (used by `watcher`).",
        shouldDisplay: false)

    @Option(help: "The API server URL.")
    var server: String

    @Option(help: "Node name for the Node's field selector.")
    var node: String

    @Option(help: "urlsession or async-http-client.")
    var transport: String = "async-http-client"

    @Flag(help: "List only the Node (the baseline).")
    var nodeOnly = false

    func run() async throws {
        let quiet = Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() })
        let configuration = APIServerConfiguration(
            server: try APIServerConfiguration.parseServer(server, source: "--server", field: ""), origin: "bench")
        let client = try APIClient.make(
            configuration: configuration, transport: APITransportKind(rawValue: transport) ?? .auto, qps: 0, logger: quiet)
        var resources = WatchedResource.nodeProxy(nodeName: node)
        if nodeOnly { resources = resources.filter { $0.kind == .node } }
        let source = APIServerSource(client: client, resources: resources, logger: quiet)
        let snapshot = try await InitialClusterState.load(from: source, timeout: .seconds(120))
        await client.transport.shutdown()
        // VmHWM: this process's own peak RSS (wait4's ru_maxrss would include the parent's, inherited at exec).
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let peak = status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") }
            .flatMap { $0.split(separator: " ").dropFirst().first }.flatMap { Int($0) } ?? 0
        print("\(snapshot.services.count) \(snapshot.endpointSlices.count) \(peak)")
    }
}
