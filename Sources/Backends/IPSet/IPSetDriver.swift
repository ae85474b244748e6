import ServiceModel

/// The only code that changes ipsets: runs `ipset restore` (one process per input: every command of a sync in one
/// batch) and lists proxyd's sets with `ipset list -t`, optionally inside another network namespace (tests).
///
/// ipsets belong to a network namespace, like the iptables rules that match on them.
public struct IPSetDriver: Sendable {
    /// A network namespace path (`/run/netns/NAME`) the commands run in, through `nsenter --net`.
    public let networkNamespace: String?
    private let ipset: CommandLineTool
    private let nsenter: CommandLineTool?

    /// Finds `ipset` (and `nsenter` for another namespace); throws `notInstalled` when missing.
    public init(networkNamespace: String? = nil) throws(IPSetError) {
        guard let ipset = CommandLineTool.find("ipset") else {
            throw IPSetError(code: .notInstalled, message: "ipset is not installed; IPVS mode needs it (Debian package ipset)")
        }
        self.ipset = ipset
        self.networkNamespace = networkNamespace
        if networkNamespace != nil {
            guard let nsenter = CommandLineTool.find("nsenter") else {
                throw IPSetError(code: .notInstalled, message: "nsenter (util-linux) is needed to run ipset in another network namespace")
            }
            self.nsenter = nsenter
        } else {
            nsenter = nil
        }
    }

    /// Runs `ipset restore` with `input`; nothing to do for an empty input.
    ///
    /// - Throws: `IPSetError` naming the refused line. The commands before it may have been applied.
    public func restore(_ input: IPSetRestoreInput) async throws(IPSetError) {
        guard !input.isEmpty else { return }
        let output = try await run(["restore"], input: input.text, family: input.family)
        guard output.succeeded else { throw IPSetError.restoreFailed(output.stderr, input: input) }
    }

    /// proxyd's sets: names, types, families (`ipset list -t`).
    public func listing() async throws(IPSetError) -> IPSetListing {
        let output = try await run(["list", "-t"], input: nil, family: nil)
        guard output.succeeded else { throw IPSetError(code: .failed, message: "\(ipset.path) list -t: \(output.stderr)") }
        return IPSetListing(terse: output.stdout)
    }

    private func run(_ arguments: [String], input: String?, family: IPFamily?) async throws(IPSetError) -> CommandLineTool.Output {
        do {
            if let networkNamespace, let nsenter {
                return try await nsenter.run(["--net=\(networkNamespace)", "--", ipset.path] + arguments, input: input)
            }
            return try await ipset.run(arguments, input: input)
        } catch {
            throw IPSetError(code: .failed, family: family, message: "cannot run \(ipset.path): \(error)")
        }
    }
}
