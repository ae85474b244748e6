/// What one sync did.
public struct SyncResult: Sendable {
    public var isFull: Bool
    /// The exact text sent to the kernel (empty when nothing changed).
    public var transaction: String
    /// Conflicts the backend resolved (two Services claiming one address and port), Service ports the kernel
    /// refused in this sync, and why a sync asked to be partial was full.
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
