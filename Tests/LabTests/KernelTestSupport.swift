import Glibc
import ProxyTesting
import ServiceModel
import Testing

extension IPFamily {
    /// `ip` or `ip6`, as nftables spells the address match of a family.
    var nftAddressFamily: String { self == .ipv4 ? "ip" : "ip6" }

    /// An address with a port as nftables writes a NAT target: `10.244.0.11:8080`, `[fd00:10:244::11]:8080`.
    func nftTarget(_ address: IPAddress, _ port: UInt16) -> String {
        self == .ipv4 ? "\(address):\(port)" : "[\(address)]:\(port)"
    }
}
