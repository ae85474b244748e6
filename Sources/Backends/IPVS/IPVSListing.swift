import ServiceModel

/// What the kernel holds, as IPVS mode lists it before every full sync: the virtual servers, proxyd's sets and
/// tables, and the node's own addresses (which NodePorts are served on).
public struct IPVSListing: Sendable, Hashable {
    /// Per served family: every virtual server, the real servers of that family's, the dummy interface's addresses.
    public var ipvs: [IPFamily: IPVSKernelState]
    /// Every set (`ipset list -t`).
    public var sets: IPSetListing
    /// Per family, whether served or not (a family no longer served has its rules removed).
    public var rules: [IPFamily: IptablesTableListing]
    /// The node's addresses outside proxyd's dummy interface (whose addresses are Service addresses).
    public var localAddresses: [IPAddress]

    public init(
        ipvs: [IPFamily: IPVSKernelState] = [:], sets: IPSetListing = IPSetListing(), rules: [IPFamily: IptablesTableListing] = [:],
        localAddresses: [IPAddress] = []
    ) {
        self.ipvs = ipvs
        self.sets = sets
        self.rules = rules
        self.localAddresses = localAddresses
    }
}
