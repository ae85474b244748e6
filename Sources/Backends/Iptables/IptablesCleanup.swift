import Foundation
import ServiceModel

/// `--cleanup` of the iptables mode (and of the iptables rules of the IPVS mode): proxyd's chains (`PROXYD-…`) and the
/// jumps to them, in both families and both iptables flavours, and nothing else.
enum IptablesCleanup {
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

    static func removeChains() async -> [CleanupReport.Item] {
        var variants = Self.iptablesVariants.filter { CommandLineTool.find($0.command + "-save") != nil }
        if variants.isEmpty {
            // No flavoured commands (not Debian's alternatives): whatever `iptables` is.
            variants = [IptablesVariant(command: "iptables", family: .ipv4), IptablesVariant(command: "ip6tables", family: .ipv6)]
        }
        var items: [CleanupReport.Item] = []
        for variant in variants {
            items.append(await removeChains(variant))
        }
        return items
    }

    static func removeChains(_ variant: IptablesVariant) async -> CleanupReport.Item {
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
}
