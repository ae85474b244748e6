import ServiceModel

/// Carries out a `ConntrackCleanupPlan` over ctnetlink in one network namespace: dumps the tracked entries the
/// plan's filters name (narrowed in the kernel) and deletes those that are stale, one netlink request each.
///
/// A plan with few filters dumps once per filter, each dump narrowed in the kernel to one destination; a plan
/// with many (a full sync of a cluster with many UDP Services) dumps each family's entries of each protocol once
/// and matches them against all filters at once, so the kernel walks its table a bounded number of times.
///
/// - Important: Only entries a filter matches are ever deleted. An entry that vanished between dump and delete
///   (expired, or deleted by someone else) is not counted and is not an error.
public actor ConntrackReconciler {
    private let thread: KernelThread
    private let socket: SocketBox

    public nonisolated var unownedExecutor: UnownedSerialExecutor { thread.asUnownedSerialExecutor() }

    /// Above this many filters of one family and protocol, one dump of all their entries replaces per-filter
    /// dumps.
    public static let perDestinationDumpLimit = 8

    /// Opens a ctnetlink socket in the current network namespace, or in `networkNamespace` (`/run/netns/NAME`).
    public init(networkNamespace: String? = nil) async throws(ConntrackError) {
        do {
            thread = try await KernelThread(name: "proxyd-conntrack", networkNamespace: networkNamespace)
        } catch {
            throw ConntrackError(error.description)
        }
        // Opened on the thread, in its namespace.
        let opened: Result<SocketBox, ConntrackError>
        do {
            opened = try await thread.perform { () -> Result<SocketBox, ConntrackError> in
                do throws(ConntrackError) {
                    return .success(SocketBox(try ConntrackSocket()))
                } catch {
                    return .failure(error)
                }
            }
        } catch {
            throw ConntrackError(error.description)
        }
        socket = try opened.get()
    }

    /// Deletes the entries the plan finds stale (`ConntrackCleanupPlan.staleFlowMatcher()`) and returns how many it deleted.
    ///
    /// - Throws: `ConntrackError` with `deletedBeforeFailure` when a dump or a delete fails; entries deleted
    ///   until then stay deleted.
    public func reconcile(_ plan: ConntrackCleanupPlan) throws(ConntrackError) -> Int {
        if plan.isEmpty { return 0 }
        return try Self.reconcile(plan, with: socket.socket)
    }

    private static func reconcile(_ plan: ConntrackCleanupPlan, with socket: ConntrackSocket) throws(ConntrackError) -> Int {
        var deleted = 0
        let isStale = plan.staleFlowMatcher()
        let groups = Dictionary(grouping: plan.filters) { GroupKey(family: $0.family, protocol: $0.protocol) }
        for key in groups.keys.sorted() {
            let filters = groups[key]!
            var stale: [ConntrackSocket.Entry] = []
            do throws(ConntrackError) {
                if filters.count <= perDestinationDumpLimit {
                    for filter in filters {
                        stale += try socket.dump(
                            family: key.family, protocol: key.protocol, address: filter.destination,
                            port: filter.destinationPort, keep: isStale)
                    }
                } else {
                    stale = try socket.dump(family: key.family, protocol: key.protocol, address: nil, port: nil, keep: isStale)
                }
                for entry in stale where try socket.delete(entry) {
                    deleted += 1
                }
            } catch {
                throw ConntrackError(error.message, deletedBeforeFailure: deleted)
            }
        }
        return deleted
    }

    private struct GroupKey: Hashable, Comparable {
        var family: IPFamily
        var `protocol`: TransportProtocol

        static func < (lhs: GroupKey, rhs: GroupKey) -> Bool {
            lhs.family != rhs.family ? lhs.family == .ipv4 : lhs.protocol < rhs.protocol
        }
    }

    /// The socket, opened on the kernel thread and used only there.
    private final class SocketBox: @unchecked Sendable {
        let socket: ConntrackSocket
        init(_ socket: ConntrackSocket) { self.socket = socket }
    }
}
