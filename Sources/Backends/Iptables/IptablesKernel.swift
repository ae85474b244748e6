import ServiceModel

/// What the iptables backend needs of the kernel: `iptables-restore --noflush` of one family's input (each
/// `*table … COMMIT` section atomic), the same with `--test` (parsed and built, never committed), and what
/// `iptables-save` shows of proxyd's. `IptablesDriver` is the real one; `ProxyTesting.FakeIptablesKernel` keeps
/// tables in memory with the same per-table atomicity, so that the backend's bookkeeping is tested without root.
public protocol IptablesKernel: Sendable {
    /// The iptables the input is written for.
    var flavour: IptablesFlavour { get }
    /// Applies one family's input; nothing of a refused table section is applied.
    func restore(_ input: IptablesRestoreInput) async throws(IptablesError)
    /// Parses and builds one family's input as `restore` would, committing nothing (`iptables-restore --test`).
    /// It catches what iptables itself refuses (a bad value, a missing chain), not what only the kernel would.
    func test(_ input: IptablesRestoreInput) async throws(IptablesError)
    /// What one family's filter and nat tables hold of proxyd's.
    func listing(_ family: IPFamily) async throws(IptablesError) -> IptablesTableListing
}
