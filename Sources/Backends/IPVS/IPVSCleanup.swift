import ServiceModel

/// `--cleanup` of the IPVS mode: its virtual servers (those on the dummy interface's addresses), then the interface,
/// then its ipsets (after the iptables step, whose rules match on them), and nothing else.
enum IPVSCleanup {
    static func removeVirtualServers() -> CleanupReport.Item {
        let artefact = "IPVS"
        let ipvs: IPVSNetlink
        do {
            ipvs = try IPVSNetlink()
        } catch {
            return CleanupReport.Item(artefact: artefact, outcome: error.isMissingFromKernel ? .notAvailable(error.message) : .failed(error.message))
        }
        let addresses = Set(NetworkInterfaces.addresses(of: ProxydNames.ipvsInterface))
        do {
            let ours = try ipvs.services().filter { service in service.address.map(addresses.contains) ?? false }
                .sorted { ($0.address!, $0.protocolNumber, $0.port) < ($1.address!, $1.protocolNumber, $1.port) }
            for service in ours { try ipvs.delete(service) }
            return CleanupReport.Item(artefact: artefact, outcome: ours.isEmpty ? .nothingFound : .removed(ours.map { "virtual server \($0)" }))
        } catch {
            return CleanupReport.Item(artefact: artefact, outcome: .failed(error.message))
        }
    }

    static func removeDummyInterface() -> CleanupReport.Item {
        let name = ProxydNames.ipvsInterface
        let artefact = "interface \(name)"
        do {
            return CleanupReport.Item(artefact: artefact, outcome: try NetworkInterfaces.delete(name) ? .removed([name]) : .nothingFound)
        } catch {
            return CleanupReport.Item(artefact: artefact, outcome: .failed(error.description))
        }
    }

    static func removeIpsets() async -> CleanupReport.Item {
        let artefact = "ipset"
        guard let ipset = CommandLineTool.find("ipset") else {
            return CleanupReport.Item(artefact: artefact, outcome: .notAvailable("ipset not installed"))
        }
        do {
            let list = try await ipset.run(["list", "-n"])
            guard list.succeeded else { return CleanupReport.Item(artefact: artefact, outcome: .failed("ipset list -n: \(list.stderr)")) }
            let ours = list.stdout.split(whereSeparator: \.isNewline).map(String.init).filter { ProxydNames.isProxydSet($0) }
            if ours.isEmpty { return CleanupReport.Item(artefact: artefact, outcome: .nothingFound) }
            // One batch: flush then destroy each (a set still matched by someone's rule refuses, and says so).
            let batch = ours.map { "flush \($0)\ndestroy \($0)\n" }.joined()
            let result = try await ipset.run(["restore"], input: batch)
            guard result.succeeded else { return CleanupReport.Item(artefact: artefact, outcome: .failed("ipset restore: \(result.stderr)")) }
            return CleanupReport.Item(artefact: artefact, outcome: .removed(ours.map { "set \($0)" }))
        } catch {
            return CleanupReport.Item(artefact: artefact, outcome: .failed("\(error)"))
        }
    }
}
