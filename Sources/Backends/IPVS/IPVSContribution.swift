import ServiceModel

/// What one Service port asks of IPVS: its virtual servers, each with its real servers, and the addresses to bind
/// to proxyd's dummy interface. Computed by `IPVSPlanner.contribution(of:)`.
public struct IPVSContribution: Sendable, Hashable {
    /// In a fixed order: ClusterIP, external IPs, load-balancer IPs, then NodePorts by address.
    public var entries: [IPVSEntry]
    public var boundAddresses: [IPAddress]

    public init(entries: [IPVSEntry] = [], boundAddresses: [IPAddress] = []) {
        self.entries = entries
        self.boundAddresses = boundAddresses
    }

    public func entry(for service: IPVSVirtualService) -> IPVSEntry? {
        entries.first { $0.service == service }
    }
}
