import Backends
import ProxyTesting
import ServiceModel

/// Binding Service addresses to proxyd's dummy interface over rtnetlink.
enum IPVSInterfaceChecks {
    static let all = [binding]

    static let binding = VMCheck("service addresses are bound to a dummy interface created down, and unbound") { check in
        try await ScratchNamespace.with { namespace in
            let driver = try await IPVSDriver(networkNamespace: namespace.path)
            let name = ProxydNames.ipvsInterface
            try await driver.apply([.bindAddress("10.96.0.10"), .bindAddress("fd00:10:96::10")])

            let link = try await namespace.exec(["ip", "-d", "link", "show", name]).requireSuccess().stdout
            check.note(link)
            check.expect(link.contains("dummy") && link.contains("state DOWN"), "ip -d link show \(name): \(link)")
            let addresses = try await namespace.exec(["ip", "-br", "addr", "show", name]).requireSuccess().stdout
            check.expect(addresses.contains("10.96.0.10/32") && addresses.contains("fd00:10:96::10/128"), addresses)
            check.expect(!addresses.contains("fe80:"), "a down interface has no link-local address: \(addresses)")
            // Local to the node, so IPVS sees the traffic on input, in both families.
            let v4 = try await namespace.exec(["ip", "route", "get", "10.96.0.10"]).requireSuccess().stdout
            let v6 = try await namespace.exec(["ip", "-6", "route", "get", "fd00:10:96::10"]).requireSuccess().stdout
            check.expect(v4.hasPrefix("local 10.96.0.10"), v4)
            check.expect(v6.hasPrefix("local fd00:10:96::10"), v6)

            // Binding a bound address again is no change; the listing shows what is bound.
            try await driver.apply([.bindAddress("10.96.0.10")])
            let bound = try await driver.kernelState(family: .ipv4).boundAddresses
            check.expect(bound == ["10.96.0.10", "fd00:10:96::10"], "bound \(bound)")

            // Someone deletes the interface: the next bind creates it again.
            try await namespace.exec(["ip", "link", "del", name]).requireSuccess()
            try await driver.apply([.bindAddress("10.96.0.11")])
            let again = try await driver.kernelState(family: .ipv4).boundAddresses
            check.expect(again == ["10.96.0.11"], "bound after re-creating the interface: \(again)")

            // Unbinding twice: the second finds nothing to do and succeeds.
            try await driver.apply([.unbindAddress("10.96.0.11"), .unbindAddress("10.96.0.11")])
            let after = try await driver.kernelState(family: .ipv4).boundAddresses
            check.expect(after.isEmpty, "bound after unbinding: \(after)")
        }
    }
}
