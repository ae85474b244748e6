import NIOCore
import Synchronization

/// The most HTTP connections proxyd's servers — health, metrics and every health-check node port — hold open
/// together. When a new connection would exceed it, the oldest open connection is closed.
///
/// The health port listens on every address (0.0.0.0:10256) and health-check node ports face load balancers,
/// so anyone who can reach the node can open connections and send nothing (slowloris). Without a bound those
/// connections take every file descriptor, and then the API server connection and the kernel sockets fail
/// too. Closing the *oldest* keeps new probes working under such a flood: a kubelet or load-balancer probe sends
/// its request at once and is answered long before the flood pushes it to the front. (Hummingbird's
/// `availableConnectionsDelegate` instead stops accepting at the limit, which leaves every new probe waiting
/// behind the flood in the listen backlog.)
///
/// - Important: Shared by every server, so proxyd's descriptors for HTTP stay bounded whatever the number of
///   health-check node ports. Each connection is counted from accept until it closes.
public final class ConnectionBudget: Sendable {
    /// The open connections, oldest first.
    private let open = Mutex<[any Channel]>([])
    public let limit: Int

    public init(limit: Int) {
        precondition(limit > 0, "a connection budget needs room for one connection")
        self.limit = limit
    }

    /// Counts `channel`, a connection just accepted; closes the oldest connection when over the limit.
    public func admit(_ channel: any Channel) {
        let evicted: (any Channel)? = open.withLock { channels in
            channels.append(channel)
            return channels.count > limit ? channels.removeFirst() : nil
        }
        channel.closeFuture.whenComplete { [weak self] _ in self?.remove(channel) }
        evicted?.close(mode: .all, promise: nil)
    }

    /// Connections open now (tests and debugging).
    public var count: Int { open.withLock { $0.count } }

    private func remove(_ channel: any Channel) {
        open.withLock { channels in
            if let index = channels.firstIndex(where: { $0 === channel }) { channels.remove(at: index) }
        }
    }
}
