/// An ipset type, as `ipset create` names it: what one entry of the set is made of.
public enum IPSetType: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// An address: `10.96.0.10`.
    case hashIP = "hash:ip"
    /// An address, a protocol and a port: `10.96.0.10,tcp:80`.
    case hashIPPort = "hash:ip,port"
    /// An address, a protocol and a port, and a second address: `10.244.0.11,tcp:8080,10.244.0.11`.
    case hashIPPortIP = "hash:ip,port,ip"
    /// An address, a protocol and a port, and a prefix: `203.0.113.10,tcp:80,192.0.2.0/24` (a prefix of the full
    /// length is written as a bare address, as `ipset save` prints it; length 0 is refused by the kernel).
    case hashIPPortNet = "hash:ip,port,net"
    /// A port number of any protocol, 0–65535: `30080`.
    case bitmapPort = "bitmap:port"

    public var description: String { rawValue }

    /// Hash types hold addresses of one family (`family inet` / `inet6`); a port bitmap holds none.
    public var hasFamily: Bool { self != .bitmapPort }
}
