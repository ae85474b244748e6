import ServiceModel

/// The kernel of IPVS mode: `IPVSDriver` (IPVS, the dummy interface, node settings and addresses on its kernel
/// thread), `IPSetDriver` and `IptablesDriver`, all in one network namespace.
public struct IPVSModeDriver: IPVSModeKernel {
    public let ipvs: IPVSDriver
    public let ipset: IPSetDriver
    public let iptables: IptablesDriver

    public init(ipvs: IPVSDriver, ipset: IPSetDriver, iptables: IptablesDriver) {
        self.ipvs = ipvs
        self.ipset = ipset
        self.iptables = iptables
    }

    /// Opens all three in the current network namespace, or in `networkNamespace` (`/run/netns/NAME`).
    ///
    /// - Throws: What is missing, as `BackendSyncError` (`unavailable`): IPVS in the kernel, `ipset`, the iptables
    ///   of `flavour`.
    public init(flavour: IptablesFlavour, networkNamespace: String? = nil) async throws(BackendSyncError) {
        do {
            ipvs = try await IPVSDriver(networkNamespace: networkNamespace)
        } catch {
            throw BackendSyncError(.unavailable, message: "cannot use IPVS: \(error)")
        }
        do {
            ipset = try IPSetDriver(networkNamespace: networkNamespace)
            iptables = try IptablesDriver(flavour: flavour, networkNamespace: networkNamespace)
        } catch {
            throw BackendSyncError(.unavailable, message: "IPVS mode cannot run: \(error)")
        }
    }

    public func tune(_ settings: [TuningSetting]) async -> NodeTuningReport {
        await ipvs.tune(settings)
    }

    public func setTimeouts(_ timeouts: IPVSTimeouts) async throws(IPVSError) {
        try await ipvs.setTimeouts(timeouts)
    }

    public func restoreSets(_ input: IPSetRestoreInput) async throws(IPSetError) {
        try await ipset.restore(input)
    }

    public func listSets() async throws(IPSetError) -> IPSetListing {
        try await ipset.listing()
    }

    public func restoreRules(_ input: IptablesRestoreInput) async throws(IptablesError) {
        try await iptables.restore(input)
    }

    public func listRules(_ family: IPFamily) async throws(IptablesError) -> IptablesTableListing {
        try await iptables.listing(family)
    }

    public func applyIPVS(_ operations: [IPVSOperation]) async throws(IPVSApplyFailure) {
        try await ipvs.apply(operations)
    }

    public func listIPVS(_ family: IPFamily) async throws(IPVSError) -> IPVSKernelState {
        try await ipvs.kernelState(family: family)
    }

    public func realServers(of services: [IPVSVirtualService]) async throws(IPVSError) -> [IPVSVirtualService: [IPVSRealServerStatus]] {
        try await ipvs.realServers(of: services)
    }

    public func localAddresses() async -> [IPAddress] {
        await ipvs.localAddresses()
    }
}
