/// A real server's connections as the kernel counts them.
public struct IPVSConnectionCounts: Sendable, Hashable, CustomStringConvertible {
    /// Established connections.
    public var active: UInt32
    /// Connections in any other state (opening, closing, TIME_WAIT) and UDP flows.
    public var inactive: UInt32
    /// Persistence templates pointing at the real server.
    public var persistent: UInt32

    public init(active: UInt32 = 0, inactive: UInt32 = 0, persistent: UInt32 = 0) {
        self.active = active
        self.inactive = inactive
        self.persistent = persistent
    }

    /// No connection uses the real server any more (active + inactive = 0): a drained real server can go, as
    /// kube-proxy decides it.
    public var isIdle: Bool { active == 0 && inactive == 0 }

    public var description: String { "active \(active), inactive \(inactive), persistent \(persistent)" }
}
