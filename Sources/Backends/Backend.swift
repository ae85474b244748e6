import ServiceModel

/// A way of programming the kernel with desired states: nftables, iptables or IPVS.
///
/// - Important: `sync` either brings the kernel to `states` or throws with nothing half-applied (or, for
///   backends without transactions, with the failure reported so that the next sync is a full one).
public protocol Backend: Actor {
    /// The mode name as kube-proxy's `/proxyMode` reports it.
    nonisolated var mode: String { get }

    /// Brings the kernel to `states` (one per served family). `changes` are the differences since the last
    /// successful sync (one per family, as `ProxyModel.update` returns them); with nil, or `forceFull`, or
    /// whenever the backend cannot trust what it committed, everything is replaced.
    func sync(_ states: [DesiredState], changes: [DesiredStateDiff]?, forceFull: Bool) async throws(BackendSyncError) -> SyncResult

    /// Removes everything this backend may have installed; succeeds when there was nothing.
    func cleanup() async throws(BackendSyncError)
}

/// What one sync did.
public struct SyncResult: Sendable {
    public var isFull: Bool
    /// The exact text sent to the kernel (empty when nothing changed).
    public var transaction: String
    /// Conflicts the backend resolved (two Services claiming one address and port), and Service ports the kernel
    /// refused in this sync.
    public var warnings: [String]
    /// Every Service port left out of the kernel because the kernel refused its rules (found in this sync or an
    /// earlier one, and unchanged since), so that everything else could be programmed.
    public var refusedServicePorts: [RefusedServicePort]

    public init(isFull: Bool, transaction: String, warnings: [String], refusedServicePorts: [RefusedServicePort] = []) {
        self.isFull = isFull
        self.transaction = transaction
        self.warnings = warnings
        self.refusedServicePorts = refusedServicePorts
    }
}

/// A Service port whose rules the kernel refused: it is not programmed, and everything else is.
///
/// Renders as `Service shop/web port http (IPv4): the kernel refused its rules: Could not process rule: File
/// exists; not programmed`.
public struct RefusedServicePort: Sendable, Hashable, CustomStringConvertible {
    public var family: IPFamily
    public var name: ServicePortName
    /// The Service port number, named when the port has no name.
    public var port: UInt16
    /// What the kernel (or nft, checking the rules) said.
    public var message: String

    public init(family: IPFamily, name: ServicePortName, port: UInt16, message: String) {
        self.family = family
        self.name = name
        self.port = port
        self.message = message
    }

    public var description: String {
        let portName = name.port.isEmpty ? "\(port)/\(name.protocol)" : name.port
        return "Service \(name.service) port \(portName) (\(family)): the kernel refused its rules: \(message); not programmed"
    }
}

/// A sync the kernel refused: the message (nft's, with the line), and the transaction that failed.
public struct BackendSyncError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var transaction: String

    public init(message: String, transaction: String) {
        self.message = message
        self.transaction = transaction
    }

    public var description: String { message }
}
