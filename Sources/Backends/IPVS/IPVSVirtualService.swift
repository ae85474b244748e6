import ServiceModel

/// Names one IPVS virtual server, as the kernel keys it: an address, protocol and port, or a firewall mark.
///
/// The kernel's own identity of a virtual server; its settings (scheduler, persistence) are `IPVSVirtualServer`.
public struct IPVSVirtualService: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var address: IPAddress?
    /// The IP protocol number (6 TCP, 17 UDP, 132 SCTP); 0 for firewall-mark services.
    public var protocolNumber: UInt16
    public var port: UInt16
    /// Non-zero for a firewall-mark service (no address or port).
    public var firewallMark: UInt32

    public init(address: IPAddress?, protocolNumber: UInt16, port: UInt16, firewallMark: UInt32 = 0) {
        self.address = address
        self.protocolNumber = protocolNumber
        self.port = port
        self.firewallMark = firewallMark
    }

    public init(_ address: IPAddress, _ transport: TransportProtocol, _ port: UInt16) {
        self.init(address: address, protocolNumber: UInt16(transport.protocolNumber), port: port)
    }

    /// TCP, UDP or SCTP; nil for firewall-mark services and protocols proxyd does not program (AH, ESP).
    public var transportProtocol: TransportProtocol? {
        firewallMark == 0 ? TransportProtocol(protocolNumber: UInt8(truncatingIfNeeded: protocolNumber)) : nil
    }

    /// `TCP 10.96.0.10:80`, `UDP [fd00::10]:53`, `FWM 7`, as ipvsadm lists them.
    public var description: String {
        if firewallMark != 0 { return "FWM \(firewallMark)" }
        let name = transportProtocol?.rawValue ?? "proto \(protocolNumber)"
        return "\(name) \(hostPort)"
    }

    /// `10.96.0.10:80`, `[fd00::10]:80`.
    public var hostPort: String {
        let host = address.map { $0.family == .ipv6 ? "[\($0)]" : "\($0)" } ?? "?"
        return "\(host):\(port)"
    }

    /// Firewall-mark services first, then by address, protocol and port.
    public static func < (lhs: IPVSVirtualService, rhs: IPVSVirtualService) -> Bool {
        switch (lhs.address, rhs.address) {
        case (nil, nil): return (lhs.firewallMark, lhs.protocolNumber, lhs.port) < (rhs.firewallMark, rhs.protocolNumber, rhs.port)
        case (nil, _): return true
        case (_, nil): return false
        case (let a?, let b?): return (a, lhs.protocolNumber, lhs.port) < (b, rhs.protocolNumber, rhs.port)
        }
    }
}
