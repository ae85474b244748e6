import ServiceModel

/// One IPVS virtual server with its settings: which service it is, how it schedules, and its persistence.
///
/// The values are exactly what goes into (and comes back from) the kernel's `IPVS_CMD_ATTR_SERVICE`.
public struct IPVSVirtualServer: Sendable, Hashable, CustomStringConvertible {
    public var service: IPVSVirtualService
    public var scheduler: IPVSScheduler
    public var flags: IPVSServiceFlags
    /// Persistence timeout in seconds; 0 without persistence.
    public var timeout: UInt32
    /// Persistence granularity: `0xffffffff` for IPv4 (one client address) or a prefix length, 128, for IPv6.
    public var netmask: UInt32

    public init(service: IPVSVirtualService, scheduler: IPVSScheduler, flags: IPVSServiceFlags, timeout: UInt32, netmask: UInt32) {
        self.service = service
        self.scheduler = scheduler
        self.flags = flags
        self.timeout = timeout
        self.netmask = netmask
    }

    /// A virtual server as proxyd creates it: persistent for `persistence` seconds when given (ClientIP
    /// affinity), per client address (the full netmask of the family), with the scheduler's required flags.
    public init(_ address: IPAddress, _ transport: TransportProtocol, _ port: UInt16, scheduler: IPVSScheduler, persistence: UInt32? = nil) {
        var flags = scheduler.requiredFlags
        if persistence != nil { flags.insert(.persistent) }
        self.init(
            service: IPVSVirtualService(address, transport, port), scheduler: scheduler, flags: flags,
            timeout: persistence ?? 0, netmask: Self.fullNetmask(address.family))
    }

    /// `0xffffffff` for IPv4, 128 for IPv6 (as ipvsadm and kube-proxy send them).
    public static func fullNetmask(_ family: IPFamily) -> UInt32 { family == .ipv4 ? 0xffff_ffff : 128 }

    /// Whether `other` needs no update to become this: same scheduler, flags (ignoring the kernel's `hashed`),
    /// timeout and netmask.
    public func hasSameSettings(as other: IPVSVirtualServer) -> Bool {
        scheduler == other.scheduler && flags.configurable == other.flags.configurable && timeout == other.timeout
            && netmask == other.netmask
    }

    /// `TCP 10.96.0.10:80 rr persistent 10800`, as `ipvsadm -Ln` lists it.
    public var description: String {
        var text = "\(service) \(scheduler)"
        if flags.contains(.persistent) { text += " persistent \(timeout)" }
        let others = flags.configurable.subtracting(.persistent)
        if !others.isEmpty { text += " (\(others))" }
        return text
    }
}
