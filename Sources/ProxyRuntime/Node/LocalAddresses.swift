import Backends
import Glibc
import ServiceModel

/// What proxyd reads about the host: its addresses (what NodePort `--nodeport-addresses` CIDRs are matched against),
/// the IP families its kernel has, and its name.
public enum LocalAddresses {
    /// The addresses configured on this network namespace's interfaces, except those of `excludedInterfaces`
    /// (a backend's own, such as IPVS's dummy interface of Service addresses).
    public static func read(excludingInterfaces excludedInterfaces: Set<String> = []) -> [IPAddress] {
        NetworkInterfaces.localAddresses(excludingInterfaces: excludedInterfaces)
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
