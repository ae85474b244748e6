import Glibc
import ServiceModel

extension IPVSDriver {
    /// Applies node settings in the driver's network namespace (sysctls under `net/` are per namespace).
    public func tune(_ settings: [TuningSetting]) async -> NodeTuningReport {
        await thread.perform { NodeTuningApplier().apply(settings) }
    }

    /// The addresses of the driver's network namespace outside proxyd's dummy interface: the node's own, which
    /// NodePort virtual servers are created on (the dummy interface holds Service addresses).
    public func localAddresses() async -> [IPAddress] {
        await thread.perform { Self.addresses(excludingInterface: ProxydNames.ipvsInterface) }
    }

    /// Every interface address of the calling thread's namespace but `excluded`'s (`getifaddrs`).
    static func addresses(excludingInterface excluded: String) -> [IPAddress] {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0 else { return [] }
        defer { freeifaddrs(list) }
        var result = Set<IPAddress>()
        var cursor = list
        while let entry = cursor?.pointee {
            defer { cursor = entry.ifa_next }
            guard let name = entry.ifa_name, String(cString: name) != excluded, let address = entry.ifa_addr else { continue }
            let bytes: [UInt8]
            switch Int32(address.pointee.sa_family) {
            case AF_INET:
                bytes = address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { withUnsafeBytes(of: $0.pointee.sin_addr) { Array($0) } }
            case AF_INET6:
                bytes = address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { withUnsafeBytes(of: $0.pointee.sin6_addr) { Array($0) } }
            default:
                continue
            }
            if let ip = IPAddress(networkOrderBytes: bytes) { result.insert(ip) }
        }
        return result.sorted()
    }
}
