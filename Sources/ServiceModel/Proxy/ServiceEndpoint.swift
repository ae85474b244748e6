/// One endpoint of one Service port: an address and target port, with the conditions and placement that decide
/// when it is used.
public struct ServiceEndpoint: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var address: IPAddress
    public var port: UInt16
    /// On this node (`nodeName` equals ours).
    public var isLocal: Bool
    public var isReady: Bool
    public var isServing: Bool
    public var isTerminating: Bool
    public var nodeName: String?
    public var zoneHints: Set<String>
    public var nodeHints: Set<String>

    public init(
        address: IPAddress, port: UInt16, isLocal: Bool = false, isReady: Bool = true, isServing: Bool = true,
        isTerminating: Bool = false, nodeName: String? = nil, zoneHints: Set<String> = [], nodeHints: Set<String> = []
    ) {
        self.address = address
        self.port = port
        self.isLocal = isLocal
        self.isReady = isReady
        self.isServing = isServing
        self.isTerminating = isTerminating
        self.nodeName = nodeName
        self.zoneHints = zoneHints
        self.nodeHints = nodeHints
    }

    /// `10.244.1.5:8080`, `[fd00::5]:8080`.
    public var description: String {
        switch address {
        case .v4: "\(address):\(port)"
        case .v6: "[\(address)]:\(port)"
        }
    }

    /// Serving while terminating: used only when nothing ready is left.
    public var isServingTerminating: Bool { isServing && isTerminating }

    public static func < (lhs: ServiceEndpoint, rhs: ServiceEndpoint) -> Bool {
        (lhs.address, lhs.port) < (rhs.address, rhs.port)
    }
}
