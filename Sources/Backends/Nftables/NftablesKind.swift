import ServiceModel

/// The nftables mode: proxyd's own tables `ip proxyd` and `ip6 proxyd`, programmed through libnftables.
public enum NftablesKind: BackendKind {
    public static let mode = ProxyMode.nftables
    public static let outputName: String? = "nft"
    public static var resync: ResyncPolicy { NftablesProgram.resync }
    public static let failureMetrics = FailureMetrics(failures: "kubeproxy_sync_proxy_rules_nftables_sync_failures_total")

    /// nftables needs nothing of the node beyond nf_tables itself: no sysctl, no module load (the kernel loads
    /// what a table uses), no interface.
    public static func requirements(_ configuration: BackendConfiguration) -> NodeRequirements { NodeRequirements() }

    public static func plan(_ states: [DesiredState], _ configuration: BackendConfiguration) -> BackendPlan? {
        let output = NftablesRenderer().full(states, previous: nil)
        return BackendPlan(text: output.transaction.text, warnings: output.warnings)
    }

    public static func make(_ configuration: BackendConfiguration) async throws(BackendSyncError) -> any Backend {
        do {
            return NftablesBackend(driver: try await NftablesDriver(networkNamespace: configuration.networkNamespace))
        } catch {
            throw BackendSyncError(.unavailable, message: "cannot open nftables: \(error)")
        }
    }

    public static var cleanupSteps: [CleanupStep] {
        [CleanupStep("nftables tables") { [await removeTables()] }]
    }

    /// Deletes proxyd's tables (both families) in one transaction and nothing else.
    static func removeTables() async -> CleanupReport.Item {
        let artefact = "nftables"
        do {
            let driver = try await NftablesDriver()
            let listing = try await driver.run("list tables")
            let present = IPFamily.allCases.map { "\(NftablesSyntax(family: $0).tableFamily) \(ProxydNames.nftablesTable)" }
                .filter { table in listing.split(whereSeparator: \.isNewline).contains { $0 == "table \(table)" } }
            try await driver.apply(NftablesRenderer.cleanupTransaction)
            return CleanupReport.Item(
                artefact: artefact, outcome: present.isEmpty ? .nothingFound : .removed(present.map { "table \($0)" }))
        } catch {
            return CleanupReport.Item(artefact: artefact, outcome: .failed("\(error)"))
        }
    }
}
