import Foundation
import ServiceModel

/// Removes everything proxyd may have installed on this node in any mode, in the calling thread's network
/// namespace: its nftables tables, its iptables chains (`PROXYD-…`) and the jumps to them in both families and
/// both iptables flavours, its IPVS virtual servers, its dummy interface and its ipsets — and nothing else.
///
/// Order matters: iptables rules go before the ipsets they match on, and IPVS virtual servers are found through
/// the dummy interface's addresses, so they go before the interface.
///
/// - Important: Every step runs even when an earlier one failed; each reports on its own (`CleanupReport`). A step
///   whose tool or kernel feature is missing reports `notAvailable`: proxyd cannot have used it.
public struct NodeCleanup: Sendable {
    public init() {}

    public func run() async -> CleanupReport {
        var report = CleanupReport()
        report.items.append(await nftables())
        report.items += await iptables()
        report.items.append(ipvs())
        report.items.append(dummyInterface())
        report.items.append(await ipsets())
        return report
    }

    // MARK: nftables

    func nftables() async -> CleanupReport.Item {
        let artefact = "nftables"
        do {
            let driver = try await NftablesDriver()
            let listing = try await driver.run("list tables")
            let present = IPFamily.allCases.map { "\(NftablesSyntax(family: $0).tableFamily) \(ProxydNames.nftablesTable)" }
                .filter { table in listing.split(whereSeparator: \.isNewline).contains { $0 == "table \(table)" } }
            try await NftablesBackend(driver: driver).cleanup()
            return CleanupReport.Item(
                artefact: artefact, outcome: present.isEmpty ? .nothingFound : .removed(present.map { "table \($0)" }))
        } catch {
            return CleanupReport.Item(artefact: artefact, outcome: .failed("\(error)"))
        }
    }

    // MARK: iptables

    /// One iptables command family: a flavour (nft or legacy) of IPv4 or IPv6 iptables.
    struct IptablesVariant: Sendable {
        var command: String  // iptables-nft, ip6tables-legacy, …
        var family: IPFamily
        /// For legacy: the kernel's table list; absent when legacy xtables were never used in this namespace.
        var legacyTableList: String?

        var name: String { "\(command) (\(family))" }
    }

    static let iptablesVariants: [IptablesVariant] = [
        IptablesVariant(command: "iptables-nft", family: .ipv4),
        IptablesVariant(command: "ip6tables-nft", family: .ipv6),
        IptablesVariant(command: "iptables-legacy", family: .ipv4, legacyTableList: "/proc/net/ip_tables_names"),
        IptablesVariant(command: "ip6tables-legacy", family: .ipv6, legacyTableList: "/proc/net/ip6_tables_names"),
    ]

    func iptables() async -> [CleanupReport.Item] {
        var variants = Self.iptablesVariants.filter { CommandLineTool.find($0.command + "-save") != nil }
        if variants.isEmpty {
            // No flavoured commands (not Debian's alternatives): whatever `iptables` is.
            variants = [IptablesVariant(command: "iptables", family: .ipv4), IptablesVariant(command: "ip6tables", family: .ipv6)]
        }
        var items: [CleanupReport.Item] = []
        for variant in variants {
            items.append(await iptables(variant))
        }
        return items
    }

    func iptables(_ variant: IptablesVariant) async -> CleanupReport.Item {
        guard let save = CommandLineTool.find(variant.command + "-save"),
            let restore = CommandLineTool.find(variant.command + "-restore")
        else {
            return CleanupReport.Item(artefact: variant.name, outcome: .notAvailable("\(variant.command)-save/-restore not installed"))
        }
        if let list = variant.legacyTableList, !FileManager.default.fileExists(atPath: list) {
            // Reading it would load the legacy modules just to find them empty.
            return CleanupReport.Item(artefact: variant.name, outcome: .notAvailable("legacy xtables not in use"))
        }
        do {
            var plan = IptablesCleanupPlan(save: "")
            for table in ProxydNames.iptablesTables {
                let dump = try await save.run(["-t", table])
                guard dump.succeeded else {
                    // A table that was never created cannot hold proxyd's chains (iptables-nft says so on stderr).
                    if Self.isMissingTable(dump.stderr) { continue }
                    return CleanupReport.Item(artefact: variant.name, outcome: .failed("\(save.path) -t \(table): \(dump.stderr)"))
                }
                plan = plan.merging(IptablesCleanupPlan(save: dump.stdout))
            }
            if plan.isEmpty { return CleanupReport.Item(artefact: variant.name, outcome: .nothingFound) }
            let result = try await restore.run(["-w", "--noflush"], input: plan.restoreInput)
            guard result.succeeded else {
                return CleanupReport.Item(
                    artefact: variant.name, outcome: .failed("\(restore.path) --noflush: \(result.stderr)\ninput:\n\(plan.restoreInput)"))
            }
            let removed = plan.tables.flatMap { table in
                table.chains.map { "chain \(table.name)/\($0)" }
                    + (table.jumpRules.isEmpty ? [] : ["\(table.jumpRules.count) jump rule(s) in \(table.name)"])
            }
            return CleanupReport.Item(artefact: variant.name, outcome: .removed(removed))
        } catch {
            return CleanupReport.Item(artefact: variant.name, outcome: .failed("\(error)"))
        }
    }

    static func isMissingTable(_ stderr: String) -> Bool {
        stderr.contains("does not exist") || stderr.contains("Table does not exist") || stderr.contains("can't initialize")
    }

    // MARK: IPVS

    func ipvs() -> CleanupReport.Item {
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

    // MARK: dummy interface

    func dummyInterface() -> CleanupReport.Item {
        let name = ProxydNames.ipvsInterface
        let artefact = "interface \(name)"
        do {
            return CleanupReport.Item(artefact: artefact, outcome: try NetworkInterfaces.delete(name) ? .removed([name]) : .nothingFound)
        } catch {
            return CleanupReport.Item(artefact: artefact, outcome: .failed(error.description))
        }
    }

    // MARK: ipsets

    func ipsets() async -> CleanupReport.Item {
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
