import CNetlink
import Glibc
import ServiceModel

/// The only code that changes IPVS and proxyd's dummy interface: applies plans one operation (one netlink request)
/// at a time, and lists what the kernel holds. An actor whose methods run on a dedicated kernel thread (optionally
/// inside another network namespace), which owns the netlink sockets.
///
/// The IPVS family is resolved once, in `init`. Binding an address creates the dummy interface
/// (`ProxydNames.ipvsInterface`) first when it is missing.
public actor IPVSDriver {
    private let thread: KernelThread
    private let context: Context

    public nonisolated var unownedExecutor: UnownedSerialExecutor { thread.asUnownedSerialExecutor() }

    /// Opens IPVS in the current network namespace, or in `networkNamespace` (`/run/netns/NAME`) for tests.
    ///
    /// - Throws: `IPVSError` with code `missingFromKernel` when the kernel has no IPVS.
    public init(networkNamespace: String? = nil) async throws(IPVSError) {
        do {
            thread = try await KernelThread(name: "proxyd-ipvs", networkNamespace: networkNamespace)
        } catch {
            throw IPVSError(.failed, error.description)
        }
        // Opened on the thread, in its namespace.
        let opened: Result<Context, IPVSError>
        do {
            opened = try await thread.perform {
                do throws(IPVSError) {
                    return .success(try Context())
                } catch {
                    return .failure(error)
                }
            }
        } catch {
            throw IPVSError(.failed, error.description)
        }
        context = try opened.get()
    }

    /// Applies operations in order, each its own netlink request; returns how many were applied.
    ///
    /// A delete of something already gone counts as applied. After a refusal the driver goes on, skipping the
    /// real-server operations of a virtual server whose add was refused.
    ///
    /// - Throws: `IPVSApplyFailure` naming every refused operation, when any was.
    @discardableResult
    public func apply(_ operations: [IPVSOperation]) throws(IPVSApplyFailure) -> Int {
        var applied = 0
        var skipped = 0
        var refusals: [IPVSApplyFailure.Refusal] = []
        var unavailable = Set<IPVSVirtualService>()
        for (index, operation) in operations.enumerated() {
            if let service = operation.service, unavailable.contains(service) {
                skipped += 1
                continue
            }
            do throws(IPVSError) {
                try context.perform(operation)
                applied += 1
            } catch {
                if operation.isRemoval && error.isNotFound {
                    applied += 1
                    continue
                }
                refusals.append(.init(index: index, operation: operation, error: error))
                if case .addVirtualServer(let server) = operation { unavailable.insert(server.service) }
            }
        }
        guard refusals.isEmpty else {
            throw IPVSApplyFailure(total: operations.count, applied: applied, skipped: skipped, refusals: refusals)
        }
        return applied
    }

    /// Sets IPVS's connection timeouts in the driver's network namespace (one `IPVS_CMD_SET_CONFIG` request; 0 leaves
    /// one unchanged).
    public func setTimeouts(_ timeouts: IPVSTimeouts) throws(IPVSError) {
        try context.ipvs.setTimeouts(timeouts)
    }

    /// Lists what the kernel holds: every virtual server, the real servers of those of `family` (with connection
    /// counts), and the addresses of proxyd's dummy interface. One dump for the virtual servers and one per
    /// virtual server of the family: this is what a full plan costs.
    public func kernelState(family: IPFamily) throws(IPVSError) -> IPVSKernelState {
        var state = IPVSKernelState(virtualServers: try context.ipvs.virtualServers())
        for server in state.virtualServers where server.service.firewallMark == 0 && server.service.address?.family == family {
            state.realServers[server.service] = try context.ipvs.realServers(of: server.service)
        }
        state.boundAddresses = NetworkInterfaces.addresses(of: ProxydNames.ipvsInterface)
        return state
    }

    /// The real servers of some virtual servers with their connection counts (for `IPVSPlanner.finishDrains`):
    /// one dump each.
    public func realServers(of services: [IPVSVirtualService]) throws(IPVSError) -> [IPVSVirtualService: [IPVSRealServerStatus]] {
        var listed: [IPVSVirtualService: [IPVSRealServerStatus]] = [:]
        for service in services { listed[service] = try context.ipvs.realServers(of: service) }
        return listed
    }

    /// Netlink requests sent so far: IPVS (including the family lookup) and rtnetlink.
    public var requestCount: Int { context.ipvs.requestCount + context.route.requestCount }

    /// The IPVS client and the rtnetlink socket; used only on the driver's thread (opened there, then actor state).
    final class Context: @unchecked Sendable {
        let ipvs: IPVSNetlink
        let route: NetlinkSocket
        /// The dummy interface's index, once looked up or created.
        private var interfaceIndex: UInt32?

        init() throws(IPVSError) {
            ipvs = try IPVSNetlink()
            do {
                route = try NetlinkSocket(protocol: NETLINK_ROUTE)
            } catch {
                throw IPVSError(.failed, "cannot open rtnetlink: \(error)")
            }
        }

        func perform(_ operation: IPVSOperation) throws(IPVSError) {
            switch operation {
            case .bindAddress(let address):
                let wasKnown = interfaceIndex != nil
                do {
                    try bind(address, operation)
                } catch where wasKnown && error.kernelErrno == ENODEV {
                    // Someone deleted the interface since it was looked up: create it again.
                    interfaceIndex = nil
                    try bind(address, operation)
                }
            case .unbindAddress(let address):
                let index = if_nametoindex(ProxydNames.ipvsInterface)
                guard index != 0 else { return }  // no interface, no address
                do {
                    try route.request(.deleteAddress(address, interfaceIndex: index), operation: operation.description)
                } catch {
                    throw IPVSError(error)
                }
            default:
                guard let request = operation.request else { return }
                try ipvs.send(request, describing: "IPVS \(operation)")
            }
        }

        func bind(_ address: IPAddress, _ operation: IPVSOperation) throws(IPVSError) {
            let index = try ensureInterface()
            do {
                try route.request(.addAddress(address, interfaceIndex: index), operation: operation.description)
            } catch {
                throw IPVSError(error)
            }
        }

        /// The dummy interface's index; creates the interface when it is missing.
        func ensureInterface() throws(IPVSError) -> UInt32 {
            if let interfaceIndex { return interfaceIndex }
            let name = ProxydNames.ipvsInterface
            var index = if_nametoindex(name)
            if index == 0 {
                do {
                    try route.request(.addDummyLink(named: name), operation: "create dummy interface \(name)")
                } catch {
                    if !error.isAlreadyExisting {
                        throw IPVSError(.refused, "\(error) (is the dummy module available? modprobe dummy)", kernelErrno: error.kernelErrno)
                    }
                }
                index = if_nametoindex(name)
            }
            guard index != 0 else { throw IPVSError(.failed, "interface \(name) does not exist after creating it") }
            interfaceIndex = index
            return index
        }
    }
}
