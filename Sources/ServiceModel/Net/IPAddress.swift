/// An IPv4 or IPv6 address.
///
/// Parsing accepts what Kubernetes accepts (`ParseIPSloppy`): dotted quads with leading zeros read as decimal,
/// and IPv6 text. An IPv4-mapped IPv6 literal (`::ffff:10.0.0.1`) is an IPv4 address, as in Go's `net.IP`,
/// so it is served by the IPv4 proxier.
public enum IPAddress: Sendable, Hashable, Comparable, CustomStringConvertible {
    case v4(IPv4Address)
    case v6(IPv6Address)

    public init?(_ text: some StringProtocol) {
        if let v4 = IPv4Address(text) {
            self = .v4(v4)
        } else if let v6 = IPv6Address(text) {
            if let mapped = v6.ipv4Mapped {
                self = .v4(mapped)
            } else {
                self = .v6(v6)
            }
        } else {
            return nil
        }
    }

    public var family: IPFamily {
        switch self {
        case .v4: .ipv4
        case .v6: .ipv6
        }
    }

    public var isLoopback: Bool {
        switch self {
        case .v4(let a): a.isLoopback
        case .v6(let a): a.isLoopback
        }
    }

    public var isLinkLocal: Bool {
        switch self {
        case .v4(let a): a.isLinkLocal
        case .v6(let a): a.isLinkLocal
        }
    }

    public var isUnspecified: Bool {
        switch self {
        case .v4(let a): a.isUnspecified
        case .v6(let a): a.isUnspecified
        }
    }

    public var description: String {
        switch self {
        case .v4(let a): a.description
        case .v6(let a): a.description
        }
    }

    /// IPv4 sorts before IPv6; within a family, numerically.
    public static func < (lhs: IPAddress, rhs: IPAddress) -> Bool {
        switch (lhs, rhs) {
        case (.v4(let a), .v4(let b)): a < b
        case (.v6(let a), .v6(let b)): a < b
        case (.v4, .v6): true
        case (.v6, .v4): false
        }
    }
}

extension IPAddress: ExpressibleByStringLiteral {
    /// For tests and constants only: traps on an invalid literal, which is a programming error.
    public init(stringLiteral value: String) {
        guard let address = IPAddress(value) else { preconditionFailure("invalid IP literal \(value)") }
        self = address
    }
}
