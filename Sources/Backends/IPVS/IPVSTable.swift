import Glibc
import ServiceModel

/// Virtual servers with their real servers, and the addresses bound to proxyd's dummy interface: what proxyd
/// wants, what it committed, or what it found in the kernel.
///
/// `apply(_:)` gives operations the kernel's meaning (adding what exists or changing what does not is refused,
/// deleting a virtual server deletes its real servers, deleting what is gone succeeds — as the driver treats it),
/// so a plan can be checked, and the committed state computed, without a kernel.
public struct IPVSTable: Sendable, Hashable {
    public var entries: [IPVSVirtualService: IPVSEntry]
    public var boundAddresses: Set<IPAddress>

    public init(entries: [IPVSVirtualService: IPVSEntry] = [:], boundAddresses: Set<IPAddress> = []) {
        self.entries = entries
        self.boundAddresses = boundAddresses
    }

    public var realServerCount: Int { entries.values.reduce(0) { $0 + $1.realServers.count } }

    /// Applies one operation as the kernel would.
    ///
    /// - Throws: `IPVSError` with code `refused` and the kernel's errno (`EEXIST`, `ESRCH`, `ENOENT`).
    public mutating func apply(_ operation: IPVSOperation) throws(IPVSError) {
        func refuse(_ code: Int32) -> IPVSError {
            IPVSError(.refused, "\(operation): \(String(cString: strerror(code)))", kernelErrno: code)
        }
        switch operation {
        case .bindAddress(let address):
            boundAddresses.insert(address)
        case .unbindAddress(let address):
            boundAddresses.remove(address)
        case .addVirtualServer(let server):
            guard entries[server.service] == nil else { throw refuse(EEXIST) }
            entries[server.service] = IPVSEntry(server)
        case .updateVirtualServer(let server):
            guard entries[server.service] != nil else { throw refuse(ESRCH) }
            entries[server.service]!.virtualServer = server
        case .deleteVirtualServer(let service):
            entries[service] = nil
        case .addRealServer(let service, let realServer):
            guard let entry = entries[service] else { throw refuse(ESRCH) }
            guard entry.realServers[realServer.id] == nil else { throw refuse(EEXIST) }
            entries[service]!.realServers[realServer.id] = realServer
        case .updateRealServer(let service, let realServer), .drainRealServer(let service, let realServer):
            guard let entry = entries[service] else { throw refuse(ESRCH) }
            guard entry.realServers[realServer.id] != nil else { throw refuse(ENOENT) }
            entries[service]!.realServers[realServer.id] = realServer
        case .deleteRealServer(let service, let id):
            entries[service]?.realServers[id] = nil
        }
    }
}
