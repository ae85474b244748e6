import ServiceModel

/// Collects a plan's operations in their steps and puts them in `IPVSPlan`'s order.
struct IPVSPlanBuilder {
    private var binds: [IPVSOperation] = []
    private var virtualServerChanges: [IPVSOperation] = []
    private var realServerChanges: [IPVSOperation] = []
    private var drains: [IPVSOperation] = []
    private var realServerDeletes: [IPVSOperation] = []
    private var virtualServerDeletes: [IPVSOperation] = []
    private var unbinds: [IPVSOperation] = []

    var operations: [IPVSOperation] {
        binds + virtualServerChanges + realServerChanges + drains + realServerDeletes + virtualServerDeletes + unbinds
    }

    mutating func bind(_ addresses: [IPAddress]) { binds += addresses.map(IPVSOperation.bindAddress) }
    mutating func unbind(_ addresses: [IPAddress]) { unbinds += addresses.map(IPVSOperation.unbindAddress) }

    mutating func deleteRealServer(_ service: IPVSVirtualService, _ id: IPVSRealServer.ID) {
        realServerDeletes.append(.deleteRealServer(service, id))
    }

    /// The operations that turn `current` into `desired` for one virtual server.
    ///
    /// - Parameter connections: The kernel's counts (full plans): an idle TCP real server is deleted at once instead
    ///   of drained. nil for partial plans, which drain every removed TCP real server.
    mutating func reconcile(
        _ key: IPVSVirtualService, current: IPVSEntry?, desired: IPVSEntry?,
        connections: [IPVSRealServer.ID: IPVSConnectionCounts]?
    ) {
        switch (current, desired) {
        case (nil, nil):
            return
        case (nil, let desired?):
            virtualServerChanges.append(.addVirtualServer(desired.virtualServer))
            for realServer in desired.realServers.values.sorted() { realServerChanges.append(.addRealServer(key, realServer)) }
        case (_?, nil):
            // Its real servers go with it; established connections are expired on their next packet
            // (net.ipv4.vs.expire_nodest_conn).
            virtualServerDeletes.append(.deleteVirtualServer(key))
        case (let current?, let desired?):
            if !desired.virtualServer.hasSameSettings(as: current.virtualServer) {
                virtualServerChanges.append(.updateVirtualServer(desired.virtualServer))
            }
            for realServer in desired.realServers.values.sorted() {
                if let existing = current.realServers[realServer.id] {
                    if existing != realServer { realServerChanges.append(.updateRealServer(key, realServer)) }
                } else {
                    realServerChanges.append(.addRealServer(key, realServer))
                }
            }
            for realServer in current.realServers.values.sorted() where desired.realServers[realServer.id] == nil {
                guard key.transportProtocol == .tcp else {
                    // UDP and SCTP have no graceful end to wait for (kube-proxy deletes them at once too).
                    realServerDeletes.append(.deleteRealServer(key, realServer.id))
                    continue
                }
                if let connections, connections[realServer.id]?.isIdle == true {
                    realServerDeletes.append(.deleteRealServer(key, realServer.id))
                } else if realServer.weight != 0 {
                    var drained = realServer
                    drained.weight = 0
                    drains.append(.drainRealServer(key, drained))
                }
            }
        }
    }
}
