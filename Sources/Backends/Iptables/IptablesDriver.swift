import Foundation
import ServiceModel

/// The only code of the iptables backend that touches the kernel: runs `iptables-restore --noflush` (one
/// process per family and sync; each table section is one atomic commit) and `iptables-save`, of one flavour,
/// optionally inside another network namespace (tests, benchmarks).
///
/// - Important: Waits for the xtables lock at most `lockWaitSeconds` (`-w`) instead of failing at once when
///   another program holds it (the legacy flavour takes the lock; nft ignores it).
public struct IptablesDriver: IptablesKernel {
    public let flavour: IptablesFlavour
    /// A network namespace path (`/run/netns/NAME`) the commands run in, through `nsenter --net`.
    public let networkNamespace: String?
    public let lockWaitSeconds: Int
    private let tools: [IPFamily: Tools]
    private let nsenter: CommandLineTool?

    struct Tools: Sendable {
        var restore: CommandLineTool
        var save: CommandLineTool
    }

    /// Finds the commands of `flavour` (`iptables-nft-restore`, …; plain `iptables-restore` when it is that
    /// flavour); throws `notInstalled` when they are missing.
    public init(flavour: IptablesFlavour, networkNamespace: String? = nil, lockWaitSeconds: Int = 5) throws(IptablesError) {
        self.flavour = flavour
        self.networkNamespace = networkNamespace
        self.lockWaitSeconds = lockWaitSeconds
        if networkNamespace != nil {
            guard let nsenter = CommandLineTool.find("nsenter") else {
                throw IptablesError(code: .notInstalled, message: "nsenter (util-linux) is needed to run iptables in another network namespace")
            }
            self.nsenter = nsenter
        } else {
            nsenter = nil
        }
        var tools: [IPFamily: Tools] = [:]
        for family in IPFamily.allCases {
            let base = IptablesRestoreInput.command(family)
            guard let restore = Self.find(base, flavour, "restore"), let save = Self.find(base, flavour, "save") else {
                throw IptablesError(
                    code: .notInstalled, family: family,
                    message: "\(base)-\(flavour)-restore and -save are not installed; install iptables (or choose the other flavour with --iptables-flavour)")
            }
            tools[family] = Tools(restore: restore, save: save)
        }
        self.tools = tools
    }

    /// `iptables-nft-restore`, else `iptables-restore` when that is a link to the flavour's multi-binary.
    private static func find(_ base: String, _ flavour: IptablesFlavour, _ verb: String) -> CommandLineTool? {
        if let tool = CommandLineTool.find("\(base)-\(flavour)-\(verb)") { return tool }
        guard let plain = CommandLineTool.find("\(base)-\(verb)") else { return nil }
        let target = URL(fileURLWithPath: plain.path).resolvingSymlinksInPath().lastPathComponent
        return target == "xtables-\(flavour)-multi" ? plain : nil
    }

    /// Applies one family's input; nothing of a refused table section is applied.
    public func restore(_ input: IptablesRestoreInput) async throws(IptablesError) {
        guard !input.isEmpty else { return }
        let tool = tools[input.family]!.restore
        let output = try await run(tool, ["-w", String(lockWaitSeconds), "--noflush"], input: input.text, family: input.family)
        guard output.succeeded else { throw IptablesError.restoreFailed(output.stderr, input: input) }
    }

    /// Parses and builds one family's input without committing it (`iptables-restore --test`).
    public func test(_ input: IptablesRestoreInput) async throws(IptablesError) {
        guard !input.isEmpty else { return }
        let tool = tools[input.family]!.restore
        let output = try await run(tool, ["-w", String(lockWaitSeconds), "--noflush", "--test"], input: input.text, family: input.family)
        guard output.succeeded else { throw IptablesError.restoreFailed(output.stderr, input: input) }
    }

    /// `iptables-save -t table` of one family; empty when the table does not exist.
    public func save(_ family: IPFamily, table: String) async throws(IptablesError) -> String {
        let output = try await run(tools[family]!.save, ["-t", table], input: nil, family: family)
        guard output.succeeded else {
            if IptablesCleanup.isMissingTable(output.stderr) { return "" }
            throw IptablesError(code: .failed, family: family, message: "\(tools[family]!.save.path) -t \(table): \(output.stderr)")
        }
        return output.stdout
    }

    /// What one family's filter and nat tables hold of proxyd's.
    public func listing(_ family: IPFamily) async throws(IptablesError) -> IptablesTableListing {
        var dump = ""
        for table in ProxydNames.iptablesTables { dump += try await save(family, table: table) }
        return IptablesTableListing(save: dump)
    }

    /// Removes proxyd's chains of both families and the jumps to them (what `--cleanup` does for one flavour).
    public func removeAll() async throws(IptablesError) {
        for family in IPFamily.allCases {
            var plan = IptablesCleanupPlan(save: "")
            for table in ProxydNames.iptablesTables { plan = plan.merging(IptablesCleanupPlan(save: try await save(family, table: table))) }
            try await restore(IptablesRestoreInput(family: family, text: plan.restoreInput))
        }
    }

    private func run(_ tool: CommandLineTool, _ arguments: [String], input: String?, family: IPFamily) async throws(IptablesError) -> CommandLineTool.Output {
        do {
            if let networkNamespace, let nsenter {
                return try await nsenter.run(["--net=\(networkNamespace)", "--", tool.path] + arguments, input: input)
            }
            return try await tool.run(arguments, input: input)
        } catch {
            throw IptablesError(code: .failed, family: family, message: "cannot run \(tool.path): \(error)")
        }
    }

    // MARK: Flavour

    /// The flavour the node uses (`IptablesFlavour.decide`), read in `networkNamespace`.
    public static func detectFlavour(networkNamespace: String? = nil) async -> IptablesFlavour {
        guard let nft = try? IptablesDriver(flavour: .nft, networkNamespace: networkNamespace) else { return .legacy }
        guard let legacy = try? IptablesDriver(flavour: .legacy, networkNamespace: networkNamespace) else { return .nft }
        let legacyInUse = await legacy.legacyTablesExist()
        var legacyDump: String?
        if legacyInUse {
            legacyDump = ""
            for family in IPFamily.allCases { legacyDump! += (try? await legacy.saveAll(family)) ?? "" }
        }
        var nftMangle = ""
        if legacyInUse {
            for family in IPFamily.allCases { nftMangle += (try? await nft.save(family, table: "mangle")) ?? "" }
        }
        if let decided = IptablesFlavour.decide(nftMangle: nftMangle, legacyDump: legacyDump) { return decided }
        var nftDump = ""
        for family in IPFamily.allCases { nftDump += (try? await nft.saveAll(family)) ?? "" }
        return IptablesFlavour.decide(nftDump: nftDump, legacyDump: legacyDump ?? "")
    }

    /// Whether any legacy xtables table exists in the namespace (reading the list loads nothing; running
    /// `iptables-legacy-save` would load the modules and create tables just to find them empty).
    private func legacyTablesExist() async -> Bool {
        for file in ["/proc/net/ip_tables_names", "/proc/net/ip6_tables_names"] {
            let text: String?
            if let networkNamespace, let nsenter {
                text = try? await nsenter.run(["--net=\(networkNamespace)", "--", "/bin/cat", file]).stdout
            } else {
                text = try? String(contentsOfFile: file, encoding: .utf8)
            }
            if let text, !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { return true }
        }
        return false
    }

    private func saveAll(_ family: IPFamily) async throws(IptablesError) -> String {
        let output = try await run(tools[family]!.save, [], input: nil, family: family)
        return output.succeeded ? output.stdout : ""
    }
}
