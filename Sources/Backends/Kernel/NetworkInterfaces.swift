import CNetlink
import Glibc
import ServiceModel

/// The few things proxyd asks about network interfaces of the calling thread's network namespace.
public enum NetworkInterfaces {
    /// Whether an interface of that name exists.
    public static func exists(_ name: String) -> Bool {
        if_nametoindex(name) != 0
    }

    /// The IPv4 and IPv6 addresses assigned to the interface (none when it does not exist).
    public static func addresses(of name: String) -> [IPAddress] {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0 else { return [] }
        defer { freeifaddrs(list) }
        var result: [IPAddress] = []
        var cursor = list
        while let entry = cursor?.pointee {
            defer { cursor = entry.ifa_next }
            guard let cName = entry.ifa_name, String(cString: cName) == name, let address = entry.ifa_addr else { continue }
            switch Int32(address.pointee.sa_family) {
            case AF_INET:
                let bytes = address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { pointer in
                    withUnsafeBytes(of: pointer.pointee.sin_addr) { Array($0) }
                }
                if let ip = IPAddress(networkOrderBytes: bytes) { result.append(ip) }
            case AF_INET6:
                let bytes = address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { pointer in
                    withUnsafeBytes(of: pointer.pointee.sin6_addr) { Array($0) }
                }
                if let ip = IPAddress(networkOrderBytes: bytes) { result.append(ip) }
            default:
                continue
            }
        }
        return result.sorted()
    }

    /// Deletes the interface; false when there was none.
    public static func delete(_ name: String) throws(Failure) -> Bool {
        do {
            let socket = try NetlinkSocket(protocol: NETLINK_ROUTE)
            try socket.request(.deleteLink(named: name), operation: "delete interface \(name)")
            return true
        } catch {
            if error.isNotFound { return false }
            throw Failure(description: error.description)
        }
    }

    /// A refused interface change, with libnl's reason.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var description: String
    }
}
