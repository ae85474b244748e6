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
                let value = address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr.s_addr }
                result.append(.v4(IPv4Address(UInt32(bigEndian: value))))
            case AF_INET6:
                let bytes = address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { pointer in
                    withUnsafeBytes(of: pointer.pointee.sin6_addr) { Array($0) }
                }
                result.append(.v6(IPv6Address(
                    high: bytes[0..<8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) },
                    low: bytes[8..<16].reduce(UInt64(0)) { $0 << 8 | UInt64($1) })))
            default:
                continue
            }
        }
        return result.sorted()
    }

    /// Deletes the interface; false when there was none.
    public static func delete(_ name: String) throws(Failure) -> Bool {
        let result = cnetlink_delete_link(name)
        if result == 0 { return true }
        if -result == NLE_NODEV || -result == NLE_OBJ_NOTFOUND { return false }
        throw Failure(description: "delete interface \(name): \(String(cString: cnetlink_error(result)))")
    }

    /// A refused interface change, with libnl's reason.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var description: String
    }
}
