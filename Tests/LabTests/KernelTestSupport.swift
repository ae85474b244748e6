import Glibc
import ProxyTesting
import ServiceModel
import Testing

/// Kernel tests create network namespaces and nftables tables: they need root (CI runs as root).
enum KernelTests {
    static var canRun: Bool { getuid() == 0 }
}

extension Trait where Self == ConditionTrait {
    /// Runs the test only as root; everywhere else it is reported as skipped, not passed.
    static var needsRoot: Self { .enabled(if: KernelTests.canRun, "kernel tests need root (network namespaces, nftables)") }
}

extension IPFamily {
    /// `ip` or `ip6`, as nftables spells the address match of a family.
    var nftAddressFamily: String { self == .ipv4 ? "ip" : "ip6" }

    /// An address with a port as nftables writes a NAT target: `10.244.0.11:8080`, `[fd00:10:244::11]:8080`.
    func nftTarget(_ address: IPAddress, _ port: UInt16) -> String {
        self == .ipv4 ? "\(address):\(port)" : "[\(address)]:\(port)"
    }
}
