/// What the conntrack cleanup after one sync did (kube-proxy's conntrack reconciler).
public struct ConntrackCleanupReport: Sendable {
    /// Stale entries deleted (also those deleted before a failure).
    public var deleted: Int
    public var duration: Duration
    /// The kernel's refusal, if the cleanup stopped early; the next full sync plans it again.
    public var failure: String?
}
