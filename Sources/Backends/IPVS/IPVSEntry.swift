/// One virtual server with its real servers: as proxyd wants it, or as the kernel holds it.
public struct IPVSEntry: Sendable, Hashable {
    public var virtualServer: IPVSVirtualServer
    public var realServers: [IPVSRealServer.ID: IPVSRealServer]

    public init(_ virtualServer: IPVSVirtualServer, realServers: [IPVSRealServer] = []) {
        self.virtualServer = virtualServer
        self.realServers = Dictionary(realServers.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
    }

    public var service: IPVSVirtualService { virtualServer.service }
}
