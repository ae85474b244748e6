import ServiceModel

/// One direction of a conntrack entry: addresses and ports (ports are nil for protocols without them).
public struct ConntrackTuple: Sendable, Hashable, CustomStringConvertible {
    public var source: IPAddress
    public var destination: IPAddress
    public var sourcePort: UInt16?
    public var destinationPort: UInt16?

    public init(source: IPAddress, destination: IPAddress, sourcePort: UInt16? = nil, destinationPort: UInt16? = nil) {
        self.source = source
        self.destination = destination
        self.sourcePort = sourcePort
        self.destinationPort = destinationPort
    }

    public var sourceAddress: IPSocketAddress? { sourcePort.map { IPSocketAddress(ip: source, port: $0) } }
    public var destinationAddress: IPSocketAddress? { destinationPort.map { IPSocketAddress(ip: destination, port: $0) } }

    public var description: String {
        "\(sourceAddress.map(\.description) ?? source.description) → \(destinationAddress.map(\.description) ?? destination.description)"
    }
}
