import Backends
import ProxyTesting
import ServiceModel

/// The planner and the driver together against the real kernel: a full plan programs exactly what was planned, and
/// a one-endpoint change costs one netlink request whatever the number of Services.
enum IPVSPlanChecks {
    static let all = [fullThenOneEndpoint]

    static let serviceCount = 300
    static let nodeIP: IPAddress = "192.168.1.10"

    /// `serviceCount` ClusterIP Services of two endpoints each; every tenth has a NodePort too.
    static func state(extraEndpointFor extra: Int? = nil, removingSecondEndpointOf removed: Int? = nil) -> DesiredState {
        var services: [ObjectKey: [ServicePort]] = [:]
        for index in 0..<serviceCount {
            let key = ObjectKey(namespace: "bench", name: "svc-\(index)")
            var endpoints = (1...2).map {
                ServiceEndpoint(address: .v4(IPv4Address(UInt32(0x0af4_0000) + UInt32(index * 4 + $0))), port: 8080)
            }
            if index == extra { endpoints.append(ServiceEndpoint(address: .v4(IPv4Address(UInt32(0x0af5_0000) + UInt32(index))), port: 8080)) }
            if index == removed { endpoints.removeLast() }
            services[key] = [ServicePort(
                name: ServicePortName(service: key, port: "http", protocol: .tcp),
                clusterIP: .v4(IPv4Address(UInt32(0x0a60_0000) + UInt32(index + 1))), port: 80,
                nodePort: index % 10 == 0 ? UInt16(30000 + index) : nil, clusterEndpoints: endpoints, hasAnyEndpoints: true)]
        }
        return DesiredState(family: .ipv4, node: .init(nodeIPs: [nodeIP], nodePortAddresses: .addresses([nodeIP])), services: services)
    }

    /// The netlink requests `body` costs the driver.
    static func requests(_ driver: IPVSDriver, _ body: () async throws -> Void) async throws -> Int {
        let before = await driver.requestCount
        try await body()
        return await driver.requestCount - before
    }

    static let fullThenOneEndpoint = VMCheck(
        "a full plan programs an empty kernel exactly; one endpoint more or less then costs one netlink request", timeout: .seconds(240)
    ) { check in
        try await ScratchNamespace.with { namespace in
            let driver = try await IPVSDriver(networkNamespace: namespace.path)
            let planner = IPVSPlanner(family: .ipv4, settings: IPVSSettings(), nodePortAddresses: .addresses([nodeIP]), localAddresses: [nodeIP])
            let initial = state()

            var started = ContinuousClock.now
            var full: IPVSPlan?
            var sent = try await requests(driver) {
                full = planner.plan(initial, kernel: try await driver.kernelState(family: .ipv4))
                try await driver.apply(full!.operations)
            }
            let plan = try check.require(full, "no plan")
            check.note("full plan of \(serviceCount) Services × 2 endpoints: \(plan.operations.count) operations, \(sent) netlink requests, \(ContinuousClock.now - started) in the VM")
            // One request per operation, plus the listing and the creation of the dummy interface.
            check.expect(sent == plan.operations.count + 2, "sent \(sent) netlink requests for \(plan.operations.count) operations")
            let virtualServers = serviceCount + serviceCount / 10
            check.expect(plan.operations.count == serviceCount + virtualServers + 2 * virtualServers, "\(plan.operations.count) operations")

            // What the kernel lists is exactly what was planned: a full plan over it has nothing to do.
            started = ContinuousClock.now
            var listing: IPVSKernelState?
            sent = try await requests(driver) { listing = try await driver.kernelState(family: .ipv4) }
            let listed = try check.require(listing, "no listing")
            check.note("listing \(listed.virtualServers.count) virtual servers: \(sent) netlink requests, \(ContinuousClock.now - started)")
            let replan = planner.plan(initial, kernel: listed)
            check.expect(replan.operations.isEmpty, "a full plan over the programmed kernel: \(replan.text.prefix(400))")
            check.expect(replan.committed.table == plan.committed.table, "the kernel holds something else than planned")

            // One endpoint more: one request, nothing listed.
            let grown = state(extraEndpointFor: 17)
            let add = try check.require(
                planner.plan(DesiredStateDiff(from: initial, to: grown, services: [ObjectKey(namespace: "bench", name: "svc-17")]), state: grown, committed: plan.committed),
                "no partial plan")
            sent = try await requests(driver) { try await driver.apply(add.operations) }
            check.expect(add.operations.map(\.description) == ["-a -t 10.96.0.18:80 -r 10.245.0.17:8080 -m -w 1"], add.text)
            check.expect(sent == 1, "one endpoint added cost \(sent) netlink requests")

            // One endpoint less: drained with one request.
            let shrunk = state(extraEndpointFor: 17, removingSecondEndpointOf: 42)
            let drain = try check.require(
                planner.plan(DesiredStateDiff(from: grown, to: shrunk, services: [ObjectKey(namespace: "bench", name: "svc-42")]), state: shrunk, committed: add.committed),
                "no partial plan")
            sent = try await requests(driver) { try await driver.apply(drain.operations) }
            check.expect(drain.operations.map(\.description) == ["-e -t 10.96.0.43:80 -r 10.244.0.170:8080 -m -w 0"], drain.text)
            check.expect(sent == 1, "one endpoint removed cost \(sent) netlink requests")
            check.note("one endpoint added: \(add.operations.count) operation; one removed: \(drain.operations.count) (netlink requests alike)")

            // The kernel holds what the partial plans committed; the idle drained real server is all a full plan would
            // change.
            let after = planner.plan(shrunk, kernel: try await driver.kernelState(family: .ipv4))
            check.expect(after.operations.map(\.description) == ["-d -t 10.96.0.43:80 -r 10.244.0.170:8080"], after.text)
        }
    }
}
