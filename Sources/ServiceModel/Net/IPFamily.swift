/// An IP family, as Kubernetes names it in `spec.ipFamilies` and EndpointSlice `addressType`.
///
/// A proxier instance serves exactly one family; dual-stack nodes run one per family.
public enum IPFamily: String, Sendable, Hashable, CaseIterable, Codable, CustomStringConvertible {
    case ipv4 = "IPv4"
    case ipv6 = "IPv6"

    public var description: String { rawValue }
}
