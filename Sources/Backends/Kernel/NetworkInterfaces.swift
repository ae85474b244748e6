import CNetlink
import Glibc
import ServiceModel

/// The few things proxyd asks about network interfaces of the calling thread's network namespace.
public enum NetworkInterfaces {
    /// Whether an interface of that name exists.
    public static func exists(_ name: String) -> Bool {
        if_nametoindex(name) != 0
    }

    /// One address of one interface, as `getifaddrs` lists it.
    public struct InterfaceAddress: Sendable, Hashable {
        public var interface: String
        public var address: IPAddress

        public init(interface: String, address: IPAddress) {
            self.interface = interface
            self.address = address
        }
    }

    /// Every IPv4 and IPv6 address of every interface, from one `getifaddrs` walk (the only one in proxyd).
    public static func all() -> [InterfaceAddress] {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0 else { return [] }
        defer { freeifaddrs(list) }
        var result: [InterfaceAddress] = []
        var cursor = list
        while let entry = cursor?.pointee {
            defer { cursor = entry.ifa_next }
            guard let cName = entry.ifa_name, let address = entry.ifa_addr else { continue }
            let bytes: [UInt8]
            switch Int32(address.pointee.sa_family) {
            case AF_INET:
                bytes = address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { pointer in
                    withUnsafeBytes(of: pointer.pointee.sin_addr) { Array($0) }
                }
            case AF_INET6:
                bytes = address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { pointer in
                    withUnsafeBytes(of: pointer.pointee.sin6_addr) { Array($0) }
                }
            default:
                continue
            }
            if let ip = IPAddress(networkOrderBytes: bytes) {
                result.append(InterfaceAddress(interface: String(cString: cName), address: ip))
            }
        }
        return result
    }

    /// The IPv4 and IPv6 addresses assigned to the interface (none when it does not exist), sorted.
    public static func addresses(of name: String) -> [IPAddress] {
        all().filter { $0.interface == name }.map(\.address).sorted()
    }

    /// The node's own addresses: every interface's, except those of `excluded` interfaces (proxyd's IPVS dummy
    /// interface holds Service addresses, which are not the node's), sorted and without duplicates.
    public static func localAddresses(excludingInterfaces excluded: Set<String> = []) -> [IPAddress] {
        Set(all().filter { !excluded.contains($0.interface) }.map(\.address)).sorted()
    }

    /// Creates a dummy interface of that name (left down, as kube-proxy leaves `kube-ipvs0`); false when it
    /// existed.
    public static func createDummy(_ name: String) throws(Failure) -> Bool {
        if exists(name) { return false }
        do {
            let socket = try NetlinkSocket(protocol: NETLINK_ROUTE)
            try socket.request(.addDummyLink(named: name), operation: "create dummy interface \(name)")
            return true
        } catch {
            if error.isAlreadyExisting { return false }
            throw Failure(description: "\(error) (is the dummy module available? modprobe dummy)")
        }
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
