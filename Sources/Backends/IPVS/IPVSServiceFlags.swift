/// A virtual server's flags (`IP_VS_SVC_F_*` in `include/uapi/linux/ip_vs.h`).
public struct IPVSServiceFlags: OptionSet, Sendable, Hashable, CustomStringConvertible {
    public var rawValue: UInt32

    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// Persistence: a client keeps its real server for the timeout (ClientIP session affinity).
    public static let persistent = IPVSServiceFlags(rawValue: 0x0001)
    /// Set by the kernel on every listed service; never sent.
    public static let hashed = IPVSServiceFlags(rawValue: 0x0002)
    public static let onePacket = IPVSServiceFlags(rawValue: 0x0004)
    /// Scheduler flag 1 (`sh-fallback`, `mh-fallback`).
    public static let schedulerFlag1 = IPVSServiceFlags(rawValue: 0x0008)
    /// Scheduler flag 2 (`sh-port`, `mh-port`): hash the source port too. kube-proxy sets it for `mh`.
    public static let schedulerFlag2 = IPVSServiceFlags(rawValue: 0x0010)
    public static let schedulerFlag3 = IPVSServiceFlags(rawValue: 0x0020)

    /// The flags a user sets: everything but `hashed`, which the kernel reports on its own.
    public var configurable: IPVSServiceFlags { subtracting(.hashed) }

    public var description: String {
        let names: [(IPVSServiceFlags, String)] = [
            (.persistent, "persistent"), (.hashed, "hashed"), (.onePacket, "ops"), (.schedulerFlag1, "flag-1"),
            (.schedulerFlag2, "flag-2"), (.schedulerFlag3, "flag-3"),
        ]
        let set = names.filter { contains($0.0) }.map(\.1)
        let unknown = subtracting(IPVSServiceFlags(rawValue: 0x3f))
        return (set + (unknown.isEmpty ? [] : ["0x" + String(unknown.rawValue, radix: 16)])).joined(separator: ",")
    }
}
