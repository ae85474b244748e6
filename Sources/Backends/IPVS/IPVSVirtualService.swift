import ServiceModel

/// One IPVS virtual service, as the kernel lists it: an address, protocol and port, or a firewall mark.
public struct IPVSVirtualService: Sendable, Hashable, CustomStringConvertible {
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

    /// `TCP 10.96.0.10:80`, `UDP [fd00::10]:53`, `FWM 7`, as ipvsadm lists them.
    public var description: String {
        if firewallMark != 0 { return "FWM \(firewallMark)" }
        let name = TransportProtocol(protocolNumber: UInt8(truncatingIfNeeded: protocolNumber))?.rawValue ?? "proto \(protocolNumber)"
        let host = address.map { $0.family == .ipv6 ? "[\($0)]" : "\($0)" } ?? "?"
        return "\(name) \(host):\(port)"
    }
}
