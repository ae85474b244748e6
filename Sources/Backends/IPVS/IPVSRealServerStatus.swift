/// A real server as the kernel lists it: its settings and its connection counts.
public struct IPVSRealServerStatus: Sendable, Hashable, CustomStringConvertible {
    public var realServer: IPVSRealServer
    public var connections: IPVSConnectionCounts

    public init(realServer: IPVSRealServer, connections: IPVSConnectionCounts = IPVSConnectionCounts()) {
        self.realServer = realServer
        self.connections = connections
    }

    public var description: String { "\(realServer) (\(connections))" }
}
