import ServiceModel

/// What the kernel holds, as the driver lists it for a full plan: every virtual server, the real servers of those
/// of one family with their connection counts, and the addresses on proxyd's dummy interface.
public struct IPVSKernelState: Sendable, Hashable {
    /// Every virtual server, of every family and owner.
    public var virtualServers: [IPVSVirtualServer]
    /// The real servers of the listed virtual servers of the family asked for.
    public var realServers: [IPVSVirtualService: [IPVSRealServerStatus]]
    /// The addresses assigned to `ProxydNames.ipvsInterface`.
    public var boundAddresses: [IPAddress]

    public init(
        virtualServers: [IPVSVirtualServer] = [], realServers: [IPVSVirtualService: [IPVSRealServerStatus]] = [:],
        boundAddresses: [IPAddress] = []
    ) {
        self.virtualServers = virtualServers
        self.realServers = realServers
        self.boundAddresses = boundAddresses
    }
}
