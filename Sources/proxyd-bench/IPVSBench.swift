import ArgumentParser
import Backends
import Foundation
import ProxyTesting
import ServiceModel

/// `proxyd-bench ipvs`: IPVS mode's sync speed through `IPVSProgram` — full syncs from an empty kernel, a periodic
/// full sync over existing state, and one-endpoint changes with their netlink requests. This machine's kernel has no
/// IPVS, so by default it boots the VM the IPVS tests use (software emulation: roughly ten times slower than a real
/// node) and runs itself inside with `--here`. Needs root. Prints Markdown tables for BENCHMARKS.md.
struct IPVSBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ipvs",
        abstract: "Measure IPVS mode (root; boots a VM with IPVS unless --here; creates and deletes its own network namespaces).")

    @Option(help: "Cluster sizes for full syncs (ClusterIP Services × 2 endpoints).")
    var sizes: String = "1000,10000"

    @Option(help: "One-endpoint changes of each kind to time at the largest size.")
    var changes: Int = 5

    @Flag(help: "Measure on this machine's kernel (inside the VM) instead of booting one.")
    var here = false

    func run() async throws {
        guard here else { return try await runInVM() }
        var report = ["## IPVS mode (`IPVSProgram` over the real drivers, in a fresh network namespace)", ""]
        report += [
            "| Services × endpoints | full sync from empty | list | render | apply | IPVS operations | netlink requests | periodic full sync (list + render + apply) | its netlink requests |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        let sizes = parseSizes(sizes)
        var changeRows: [String] = []
        for size in sizes {
            try await ScratchNamespace.with { namespace in
                let kernel = try await IPVSModeDriver(flavour: .nft, networkNamespace: namespace.path)
                let program = IPVSProgram(kernel: kernel, settings: IPVSSettings())
                let state = Self.state(size)
                let cold = try await Self.fullSync(program, kernel, [state])
                let periodic = try await Self.fullSync(program, kernel, [state])
                report.append(
                    "| \(size) × 2 | \(formatMilliseconds(cold.total)) | \(formatMilliseconds(cold.list)) | \(formatMilliseconds(cold.render)) | "
                        + "\(formatMilliseconds(cold.apply)) | \(cold.operations) | \(cold.requests) | \(formatMilliseconds(periodic.total)) | \(periodic.requests) |")
                if size == sizes.max() {
                    changeRows = try await Self.changes(program, kernel, state, committed: periodic.committed, count: changes)
                }
            }
        }
        report += ["", "### One-endpoint changes at \(sizes.max() ?? 0) Services (partial syncs; median of \(changes))", ""]
        report += ["| change | render | apply | IPVS operations | netlink requests | ipset lines |", "|---|---|---|---|---|---|"]
        report += changeRows
        print(report.joined(separator: "\n"))
    }

    /// `size` ClusterIP Services of two endpoints each, IPv4.
    static func state(_ size: Int, extraEndpointFor extra: Set<Int> = []) -> DesiredState {
        var services: [ObjectKey: [ServicePort]] = [:]
        services.reserveCapacity(size)
        for index in 0..<size {
            let key = ObjectKey(namespace: "bench", name: "svc-\(index)")
            var endpoints = (1...2).map { ServiceEndpoint(address: .v4(IPv4Address(UInt32(0x0a80_0000) + UInt32(index * 4 + $0))), port: 8080) }
            if extra.contains(index) { endpoints.append(ServiceEndpoint(address: .v4(IPv4Address(UInt32(0x0a80_0000) + UInt32(index * 4 + 3))), port: 8080)) }
            services[key] = [ServicePort(
                name: ServicePortName(service: key, port: "http", protocol: .tcp),
                clusterIP: .v4(IPv4Address(UInt32(0x0a60_0000) + UInt32(index + 1))), port: 80, clusterEndpoints: endpoints,
                hasAnyEndpoints: true)]
        }
        return DesiredState(family: .ipv4, node: .init(nodeIPs: ["192.168.1.10"], nodePortAddresses: .addresses([])), services: services)
    }

    struct FullSync {
        var list, render, apply: Double
        var operations, requests: Int
        var committed: IPVSProgram.Committed
        var total: Double { list + render + apply }
    }

    static func fullSync(_ program: IPVSProgram, _ kernel: IPVSModeDriver, _ states: [DesiredState]) async throws -> FullSync {
        let clock = ContinuousClock()
        let requestsBefore = await kernel.ipvs.requestCount
        var start = clock.now
        let listed = try await program.list(states.map(\.family))
        let list = (clock.now - start).milliseconds
        start = clock.now
        let output = program.full(states, committed: nil, listed: listed)
        let render = (clock.now - start).milliseconds
        start = clock.now
        try await program.apply(output.transaction)
        let apply = (clock.now - start).milliseconds
        let requests = await kernel.ipvs.requestCount - requestsBefore
        return FullSync(
            list: list, render: render, apply: apply, operations: output.transaction.operationCount, requests: requests, committed: output.committed)
    }

    /// Adds a third endpoint to `count` Services one at a time, then removes it again (a drain: nothing connects, but
    /// a removed TCP real server is drained until `maintain` sees it idle), each as its own partial sync.
    static func changes(
        _ program: IPVSProgram, _ kernel: IPVSModeDriver, _ base: DesiredState, committed start: IPVSProgram.Committed, count: Int
    ) async throws -> [String] {
        let clock = ContinuousClock()
        var committed = start
        var rows: [String] = []
        for (label, adding) in [("one endpoint added", true), ("one endpoint removed (drained)", false)] {
            var render: [Double] = []
            var apply: [Double] = []
            var operations: [Int] = []
            var requests: [Int] = []
            var ipsetLines: [Int] = []
            for index in 0..<count {
                let with = state(base.servicePortCount, extraEndpointFor: [index])
                let (from, to) = adding ? (base, with) : (with, base)
                let key = ObjectKey(namespace: "bench", name: "svc-\(index)")
                let diff = DesiredStateDiff(from: from, to: to, services: [key])
                var started = clock.now
                guard let (transaction, _) = program.partial([diff], states: [to], committed: &committed) else {
                    throw BenchError("no partial sync for \(label)")
                }
                render.append((clock.now - started).milliseconds)
                let before = await kernel.ipvs.requestCount
                started = clock.now
                try await program.apply(transaction)
                apply.append((clock.now - started).milliseconds)
                requests.append(await kernel.ipvs.requestCount - before)
                operations.append(transaction.operationCount)
                ipsetLines.append(transaction.families.reduce(0) { $0 + $1.sets.text.split(separator: "\n").filter { !$0.hasPrefix("#") }.count })
            }
            func median(_ values: [Int]) -> Int { Int(Sample(values: values.map(Double.init)).median) }
            rows.append(
                "| \(label) | \(formatMilliseconds(Sample(values: render).median)) | \(formatMilliseconds(Sample(values: apply).median)) | "
                    + "\(median(operations)) | \(median(requests)) | \(median(ipsetLines)) |")
        }
        return rows
    }

    /// Boots the VM (2 CPUs, 2 GiB) and runs `proxyd-bench ipvs --here` inside it.
    func runInVM() async throws {
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
        let script = """
            "\(executable)" ipvs --here --sizes \(sizes) --changes \(changes) > "$SHARED/report.md" 2> "$SHARED/error.log"
            echo $? > "$SHARED/status"
            """
        let vm = try await VirtualMachine.run(script: script, deadline: .seconds(3600), cpus: 2, memory: "2G")
        defer { try? FileManager.default.removeItem(atPath: vm.directory) }
        guard vm.file("status") == "0", let report = vm.file("report.md") else {
            throw BenchError("the benchmark failed in the VM (status \(vm.file("status") ?? "none")): \(vm.file("error.log") ?? "")\n\(vm.console.suffix(4000))")
        }
        print("VM numbers: Debian kernel under qemu, software emulation (no KVM), 2 vCPUs — roughly ten times slower than a real node.\n")
        print(report)
        print("\nboot, benchmark and power-off: \(vm.duration)")
    }
}
