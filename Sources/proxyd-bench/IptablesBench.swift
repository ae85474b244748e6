import ArgumentParser
import Backends
import Foundation
import ProxyTesting
import ServiceModel

/// `proxyd-bench iptables`: the nftables benchmark's measurements through the iptables backend — cold syncs
/// with the number of rules they load, one-Service changes at scale, first-packet latency — in network
/// namespaces of its own. Needs root. Prints Markdown tables for BENCHMARKS.md.
struct IptablesBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "iptables",
        abstract: "Measure the iptables backend (root; creates and deletes its own network namespaces).")

    @Option(help: "Cluster sizes for cold syncs (Services × --endpoints).")
    var sizes: String = "1000,10000"

    @Option(help: "Endpoints per Service for --sizes.")
    var endpoints: Int = 2

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

    @Option(help: "iptables flavour: nft or legacy.")
    var flavour: String = "nft"

    func run() async throws {
        guard let flavour = IptablesFlavour(rawValue: flavour) else { throw ValidationError("--flavour is nft or legacy") }
        let proxyd = try siblingExecutable("proxyd")
        let bench = BackendBench(
            proxydFlags: ["--proxy-mode", "iptables", "--iptables-flavour", flavour.rawValue],
            renderAndApply: { state, namespace in
                let clock = ContinuousClock()
                var start = clock.now
                let transaction = IptablesRenderer(settings: IptablesSettings(flavour: flavour)).full([state], kernel: [:]).transaction
                let render = (clock.now - start).milliseconds
                let driver = try IptablesDriver(flavour: flavour, networkNamespace: namespace)
                start = clock.now
                for input in transaction.inputs { try await driver.restore(input) }
                return (render, (clock.now - start).milliseconds)
            },
            makeBackend: { IptablesBackend(driver: try IptablesDriver(flavour: flavour, networkNamespace: $0), settings: IptablesSettings(flavour: flavour)) },
            repetitions: repetitions, changes: changes, connections: connections)

        var report: [String] = ["## iptables backend (\(flavour))", ""]
        report += ["### Cold full sync: objects decoded → rules committed (`proxyd --once --proxy-mode=iptables`, fresh namespace)", ""]
        report += ["| Services × endpoints | wall (median of \(repetitions)) | proxyd peak RSS | decode | model | render | iptables-restore | rules (filter + nat) |", "|---|---|---|---|---|---|---|---|"]
        for size in parseSizes(sizes) {
            let cluster = GeneratedCluster(services: size, endpoints: endpoints)
            var rules = 0
            let cold = try bench.coldSync(cluster, proxyd: proxyd) { namespace in
                rules = try Self.ruleCount(namespace, flavour)
            }
            let phases = try await bench.breakdown(cluster)
            report.append(
                "| \(cluster.services) × \(cluster.endpoints) | \(formatMilliseconds(cold.wall)) | \(cold.rssMiB) MiB | \(formatMilliseconds(phases.decode)) | \(formatMilliseconds(phases.model)) | \(formatMilliseconds(phases.render)) | \(formatMilliseconds(phases.apply)) | \(rules) |")
            FileHandle.standardError.write(Data("\(report.last!)\n".utf8))
        }
        report += ["", "### One-Service changes at \(changeSize) Services (model update → diff → render → iptables-restore, in process)", ""]
        report += ["| change | median | p99 | max |", "|---|---|---|---|"]
        for (name, sample) in try await bench.changeLatencies(GeneratedCluster(services: changeSize, endpoints: 2)) {
            report.append("| \(name) | \(formatMilliseconds(sample.median)) | \(formatMilliseconds(sample.percentile(99))) | \(formatMilliseconds(sample.percentile(100))) |")
            FileHandle.standardError.write(Data("\(report.last!)\n".utf8))
        }
        report += ["", "### The kernel's floor at \(changeSize) Services: single iptables commands against the same tables", ""]
        report += ["| command | what it costs | median | p99 |", "|---|---|---|---|"]
        for floor in try await Self.kernelFloors(services: changeSize, flavour: flavour, repetitions: changes) {
            report.append("| \(floor.command) | \(floor.meaning) | \(formatMilliseconds(floor.sample.median)) | \(formatMilliseconds(floor.sample.percentile(99))) |")
            FileHandle.standardError.write(Data("\(report.last!)\n".utf8))
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

    /// What the smallest changes cost by themselves on a table holding `services` Services (2 endpoints each),
    /// run as the driver runs iptables (under `nsenter --net`): the floor under any one-Service change.
    static func kernelFloors(services: Int, flavour: IptablesFlavour, repetitions: Int) async throws -> [(command: String, meaning: String, sample: Sample)] {
        var snapshot = ClusterSnapshot(ObjectDecoding.decodeJSON(try GeneratedCluster(services: services, endpoints: 2).json()).objects)
        snapshot.apply(.synced)
        let model = ProxyModel(configuration: BackendBench.configuration)
        let node = NodeContext(snapshot: snapshot, nodeName: GeneratedCluster.nodeName, localAddresses: [])
        let state = model.desiredState(for: .ipv4, snapshot: snapshot, node: node).state
        let namespace = try BenchNamespace()
        let driver = try IptablesDriver(flavour: flavour, networkNamespace: namespace.path)
        for input in IptablesRenderer(settings: IptablesSettings(flavour: flavour)).full([state], kernel: [:]).transaction.inputs {
            try await driver.restore(input)
        }
        let firstServiceRule = try Self.save(namespace, flavour, table: "nat").split(separator: "\n")
            .first { $0.hasPrefix("-A \(IptablesNames.services) ") }.map { Self.arguments(String($0.dropFirst(3))) }
        guard let firstServiceRule else { throw BenchError("no rule in \(IptablesNames.services)") }
        let iptables = ["/usr/bin/nsenter", "--net=\(namespace.path)", "--", "/usr/sbin/iptables-\(flavour)", "-w", "5", "-t", "nat"]
        let probe = [IptablesNames.canary, "-m", "comment", "--comment", "proxyd-bench", "-j", "RETURN"]
        var empty: [Double] = [], added: [Double] = [], deleted: [Double] = [], checked: [Double] = []
        let clock = ContinuousClock()
        for _ in 0..<repetitions {
            let start = clock.now
            try await driver.restore(IptablesRestoreInput(family: .ipv4, text: "*nat\nCOMMIT\n"))
            empty.append((clock.now - start).milliseconds)
            added.append(try Self.timed(iptables + ["-A"] + probe))
            deleted.append(try Self.timed(iptables + ["-D"] + probe))
            checked.append(try Self.timed(iptables + ["-C"] + firstServiceRule))
        }
        let restore = flavour == .nft ? "iptables-nft-restore" : "iptables-legacy-restore"
        let tool = "iptables-\(flavour)"
        return [
            ("`\(restore)` of `*nat` / `COMMIT`", flavour == .nft ? "starting the process" : "starting it and reading the nat table", Sample(values: empty)),
            ("`\(tool) -t nat -A \(IptablesNames.canary) … -j RETURN`", flavour == .nft ? "adding one rule: nf_tables validates every chain reachable from the base chains" : "adding one rule: the whole nat table read, changed and replaced", Sample(values: added)),
            ("`\(tool) -t nat -D` of that rule", flavour == .nft ? "deleting one rule: the commit, and an RCU grace period before the process may exit" : "deleting one rule: the whole table replaced", Sample(values: deleted)),
            ("`\(tool) -t nat -C` of `\(IptablesNames.services)`'s first rule", flavour == .nft ? "finding a rule in the chain: a dump of all its rules (what `-D` and `-I n` need)" : "reading the nat table", Sample(values: checked)),
        ]
    }

    /// The arguments of an `iptables-save` rule line, as a shell would split it (double quotes, backslash escapes).
    static func arguments(_ line: String) -> [String] {
        var words: [String] = []
        var current = ""
        var quoted = false
        var escaped = false
        var inWord = false
        for character in line {
            if escaped {
                current.append(character)
                escaped = false
            } else if character == "\\" {
                escaped = true
                inWord = true
            } else if character == "\"" {
                quoted.toggle()
                inWord = true
            } else if character == " " && !quoted {
                if inWord { words.append(current) }
                current = ""
                inWord = false
            } else {
                current.append(character)
                inWord = true
            }
        }
        if inWord { words.append(current) }
        return words
    }

    private static func timed(_ argv: [String]) throws -> Double {
        let result = try MeasuredProcess.run(argv)
        guard result.status == 0 else { throw BenchError("\(argv.joined(separator: " ")) exited with \(result.status)") }
        return result.wall.milliseconds
    }

    private static func save(_ namespace: BenchNamespace, _ flavour: IptablesFlavour, table: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
        process.arguments = ["netns", "exec", namespace.name, "iptables-\(flavour)-save", "-t", table]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    /// Rules (`-A` lines) in the namespace's filter and nat tables, proxyd's and the built-in chains' jumps.
    static func ruleCount(_ namespace: BenchNamespace, _ flavour: IptablesFlavour) throws -> Int {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
        process.arguments = ["netns", "exec", namespace.name, "iptables-\(flavour)-save"]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self).split(separator: "\n").count { $0.hasPrefix("-A ") }
    }
}
