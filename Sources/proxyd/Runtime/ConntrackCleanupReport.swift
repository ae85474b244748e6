/// What the conntrack cleanup after one sync did (kube-proxy's conntrack reconciler).
struct ConntrackCleanupReport: Sendable {
    /// Stale entries deleted (also those deleted before a failure).
    var deleted: Int
    var duration: Duration
    /// The kernel's refusal, if the cleanup stopped early; the next full sync plans it again.
    var failure: String?
}
