import ServiceModel

/// What IPVS mode needs of the kernel: IPVS and the dummy interface (netlink), ipsets (`ipset restore`), iptables
/// (`iptables-restore`), the node's settings and addresses — every one in the same network namespace.
/// `IPVSModeDriver` is the real one; the unit tests keep all of it in memory, with the kernel's refusals, so that
/// `IPVSProgram`'s bookkeeping is tested without root.
public protocol IPVSModeKernel: Sendable {
    /// Applies node settings (read first, written where they differ).
    func tune(_ settings: [TuningSetting]) async -> NodeTuningReport
    /// Sets IPVS's connection timeouts (`ipvsadm --set`; 0 leaves one unchanged).
    func setTimeouts(_ timeouts: IPVSTimeouts) async throws(IPVSError)
    /// `ipset restore`: the lines before a refused one stay applied.
    func restoreSets(_ input: IPSetRestoreInput) async throws(IPSetError)
    /// Every set, with type and family (`ipset list -t`).
    func listSets() async throws(IPSetError) -> IPSetListing
    /// `iptables-restore --noflush` of one family; nothing of a refused table section is applied.
    func restoreRules(_ input: IptablesRestoreInput) async throws(IptablesError)
    /// What one family's filter and nat tables hold of proxyd's.
    func listRules(_ family: IPFamily) async throws(IptablesError) -> IptablesTableListing
    /// IPVS operations, one request each, going on past refusals (`IPVSDriver.apply`).
    func applyIPVS(_ operations: [IPVSOperation]) async throws(IPVSApplyFailure)
    /// Every virtual server, the real servers of `family`'s, the dummy interface's addresses.
    func listIPVS(_ family: IPFamily) async throws(IPVSError) -> IPVSKernelState
    /// The real servers of some virtual servers with their connection counts: one dump each.
    func realServers(of services: [IPVSVirtualService]) async throws(IPVSError) -> [IPVSVirtualService: [IPVSRealServerStatus]]
    /// The node's addresses outside proxyd's dummy interface.
    func localAddresses() async -> [IPAddress]
}
