import Glibc
import ServiceModel

/// The addresses configured on this network namespace's interfaces (what NodePort `--nodeport-addresses` CIDRs
/// are matched against), read with `getifaddrs`.
public enum LocalAddresses {
    public static func read() -> [IPAddress] {
        var head: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&head) == 0, let first = head else { return [] }
        defer { freeifaddrs(head) }
        var result = Set<IPAddress>()
        var cursor: UnsafeMutablePointer<ifaddrs>? = first
        while let entry = cursor {
            defer { cursor = entry.pointee.ifa_next }
            guard let address = entry.pointee.ifa_addr else { continue }
            switch Int32(address.pointee.sa_family) {
            case AF_INET:
                let value = address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr.s_addr }
                result.insert(.v4(IPv4Address(UInt32(bigEndian: value))))
            case AF_INET6:
                let bytes = address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) {
                    withUnsafeBytes(of: $0.pointee.sin6_addr) { Array($0) }
                }
                var high: UInt64 = 0
                var low: UInt64 = 0
                for i in 0..<8 { high = high << 8 | UInt64(bytes[i]) }
                for i in 8..<16 { low = low << 8 | UInt64(bytes[i]) }
                result.insert(.v6(IPv6Address(high: high, low: low)))
            default:
                break
            }
        }
        return result.sorted()
    }

    /// The IP families this host's kernel supports: IPv4 always, IPv6 when the kernel has it — kube-proxy's
    /// check, `/proc/net/if_inet6` exists (it does not when IPv6 is compiled out or disabled at boot).
    public static func hostFamilies() -> Set<IPFamily> {
        access("/proc/net/if_inet6", F_OK) == 0 ? [.ipv4, .ipv6] : [.ipv4]
    }

    /// The host name, lower-cased as kube-proxy does for the default node name.
    public static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count) == 0 else { return "localhost" }
        let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self).lowercased()
    }
}
