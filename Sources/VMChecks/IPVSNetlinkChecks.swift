import Backends
import Glibc
import ProxyTesting
import ServiceModel

/// proxyd's IPVS netlink client against the real kernel: what it sends is what the kernel (and ipvsadm) lists.
enum IPVSNetlinkChecks {
    static let all = [roundTrip, partialFailure]

    static let web = IPVSVirtualServer("10.96.0.10", .tcp, 80, scheduler: .roundRobin)
    static let dns = IPVSVirtualServer("10.96.0.53", .udp, 53, scheduler: IPVSScheduler(kernelName: "wrr"), persistence: 300)
    static let secure = IPVSVirtualServer("fd00:10:96::10", .tcp, 443, scheduler: IPVSScheduler(kernelName: "mh"))
    static let sctp = IPVSVirtualServer("10.96.0.60", .sctp, 9, scheduler: IPVSScheduler(kernelName: "sh"), persistence: 86400)

    /// As listed, without the kernel's own `hashed` flag.
    static func configured(_ servers: [IPVSVirtualServer]) -> Set<IPVSVirtualServer> {
        Set(servers.map { server in
            var server = server
            server.flags = server.flags.configurable
            return server
        })
    }

    static func realServers(_ state: IPVSKernelState, _ service: IPVSVirtualService) -> [IPVSRealServer] {
        (state.realServers[service] ?? []).map(\.realServer).sorted()
    }

    static let roundTrip = VMCheck("virtual and real servers round-trip through the kernel with exact attributes, as ipvsadm lists them") { check in
        try await ScratchNamespace.with { namespace in
            let driver = try await IPVSDriver(networkNamespace: namespace.path)
            let weighted = IPVSRealServer(address: "10.244.0.11", port: 8080, weight: 3, upperThreshold: 100, lowerThreshold: 10)
            let plain = IPVSRealServer(address: "10.244.1.5", port: 8080)
            let resolver = IPVSRealServer(address: "10.244.1.5", port: 53)
            let v6 = IPVSRealServer(address: "fd00:10:244::11", port: 8443)
            let sctpServer = IPVSRealServer(address: "10.244.0.12", port: 9)
            try await driver.apply([
                .addVirtualServer(web), .addVirtualServer(dns), .addVirtualServer(secure), .addVirtualServer(sctp),
                .addRealServer(web.service, weighted), .addRealServer(web.service, plain), .addRealServer(dns.service, resolver),
                .addRealServer(secure.service, v6), .addRealServer(sctp.service, sctpServer),
            ])

            let v4 = try await driver.kernelState(family: .ipv4)
            check.expect(configured(v4.virtualServers) == [web, dns, secure, sctp], "listed \(v4.virtualServers)")
            check.expect(v4.virtualServers.allSatisfy { $0.flags.contains(.hashed) }, "the kernel lists every service as hashed")
            check.expect(realServers(v4, web.service) == [weighted, plain], "\(realServers(v4, web.service))")
            check.expect(realServers(v4, dns.service) == [resolver], "\(realServers(v4, dns.service))")
            check.expect(realServers(v4, sctp.service) == [sctpServer], "\(realServers(v4, sctp.service))")
            check.expect(v4.realServers[secure.service] == nil, "an IPv4 listing lists no IPv6 real servers")
            let v6State = try await driver.kernelState(family: .ipv6)
            check.expect(realServers(v6State, secure.service) == [v6], "\(realServers(v6State, secure.service))")

            var listing = try await Ipvsadm.list(in: namespace)
            check.note("ipvsadm -Ln after adding:\n" + listing.joined(separator: "\n"))
            for line in [
                "TCP 10.96.0.10:80 rr", "-> 10.244.0.11:8080 Masq 3 0 0", "-> 10.244.1.5:8080 Masq 1 0 0",
                "UDP 10.96.0.53:53 wrr persistent 300", "-> 10.244.1.5:53 Masq 1 0 0", "SCTP 10.96.0.60:9 sh persistent 86400",
                "-> [fd00:10:244::11]:8443 Masq 1 0 0",
            ] {
                check.expect(listing.contains(line), "ipvsadm -Ln has no line \"\(line)\"")
            }
            check.expect(listing.contains { $0.hasPrefix("TCP [fd00:10:96::10]:443 mh") }, "ipvsadm -Ln lists the IPv6 service with mh")
            let thresholds = try await Ipvsadm.list(in: namespace, ["--thresholds"])
            check.expect(thresholds.contains("-> 10.244.0.11:8080 100 10 0 0"), "thresholds: \(thresholds)")

            // Updates in place: scheduler and persistence of a virtual server, weight and thresholds of real servers.
            let sticky = IPVSVirtualServer("10.96.0.10", .tcp, 80, scheduler: IPVSScheduler(kernelName: "lc"), persistence: 60)
            var reweighted = weighted
            reweighted.weight = 5
            reweighted.upperThreshold = 0
            reweighted.lowerThreshold = 0
            var drained = plain
            drained.weight = 0
            try await driver.apply([.updateVirtualServer(sticky), .updateRealServer(web.service, reweighted), .drainRealServer(web.service, drained)])
            let updated = try await driver.kernelState(family: .ipv4)
            check.expect(configured(updated.virtualServers) == [sticky, dns, secure, sctp], "listed \(updated.virtualServers)")
            check.expect(realServers(updated, web.service) == [reweighted, drained], "\(realServers(updated, web.service))")
            listing = try await Ipvsadm.list(in: namespace)
            check.expect(listing.contains("TCP 10.96.0.10:80 lc persistent 60"), "ipvsadm -Ln: \(listing)")
            check.expect(listing.contains("-> 10.244.1.5:8080 Masq 0 0 0"), "ipvsadm -Ln: \(listing)")

            // Deletes: a real server, then virtual servers with their real servers.
            try await driver.apply([
                .deleteRealServer(web.service, weighted.id), .deleteVirtualServer(dns.service), .deleteVirtualServer(secure.service),
                .deleteVirtualServer(sctp.service),
            ])
            let remaining = try await driver.kernelState(family: .ipv4)
            check.expect(configured(remaining.virtualServers) == [sticky], "listed \(remaining.virtualServers)")
            check.expect(realServers(remaining, web.service) == [drained], "\(realServers(remaining, web.service))")
            try await driver.apply([.deleteVirtualServer(web.service)])
            check.expect(try await driver.kernelState(family: .ipv4).virtualServers.isEmpty, "a virtual server is left")
            listing = try await Ipvsadm.list(in: namespace)
            check.expect(listing.isEmpty, "ipvsadm -Ln: \(listing)")
        }
    }

    static let partialFailure = VMCheck("a refused operation is reported with its position while the rest of the plan is applied") { check in
        try await ScratchNamespace.with { namespace in
            let driver = try await IPVSDriver(networkNamespace: namespace.path)
            let missingScheduler = IPVSVirtualServer("10.96.0.20", .tcp, 80, scheduler: IPVSScheduler(kernelName: "nonexistent"))
            let other = IPVSVirtualServer("10.96.0.21", .tcp, 80, scheduler: .roundRobin)
            let plan: [IPVSOperation] = [
                .addVirtualServer(web),
                .addVirtualServer(missingScheduler),
                .addRealServer(missingScheduler.service, IPVSRealServer(address: "10.244.0.11", port: 80)),
                .addVirtualServer(other),
                .deleteVirtualServer(IPVSVirtualService("10.96.0.99", .udp, 53)),  // already gone: done
                .addVirtualServer(web),  // exists: refused
            ]
            do throws(IPVSApplyFailure) {
                try await driver.apply(plan)
                check.record("the plan was applied without a refusal")
            } catch {
                check.note("\(error)")
                check.expect(error.total == 6 && error.applied == 3 && error.skipped == 1, "\(error)")
                check.expect(error.refusals.map(\.index) == [1, 5], "\(error)")
                check.expect(error.refusals.first?.error.kernelErrno == ENOENT, "a missing scheduler module: \(error)")
                check.expect(error.refusals.last?.error.kernelErrno == EEXIST, "\(error)")
                check.expect(error.description.contains("operation 2 (-A -t 10.96.0.20:80 -s nonexistent)"), error.description)
            }
            let listed = try await driver.kernelState(family: .ipv4)
            check.expect(configured(listed.virtualServers) == [web, other], "listed \(listed.virtualServers)")
        }
    }
}
