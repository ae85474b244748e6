/// Removes everything proxyd may have installed on this node in any mode, in the calling thread's network
/// namespace — every mode's `BackendKind.cleanupSteps`, in `ProxyMode` order — and nothing else.
///
/// Order matters: iptables rules go before the ipsets they match on (the iptables mode's steps run before the IPVS
/// mode's), and IPVS virtual servers are found through the dummy interface's addresses, so they go before the
/// interface.
///
/// - Important: Every step runs even when an earlier one failed; each reports on its own (`CleanupReport`). A step
///   whose tool or kernel feature is missing reports `notAvailable`: proxyd cannot have used it.
public struct NodeCleanup: Sendable {
    public init() {}

    /// Every mode's steps, in order.
    public static var steps: [CleanupStep] {
        ProxyMode.allCases.flatMap { $0.kind.cleanupSteps }
    }

    public func run() async -> CleanupReport {
        var report = CleanupReport()
        for step in Self.steps {
            report.items += await step.run()
        }
        return report
    }
}
