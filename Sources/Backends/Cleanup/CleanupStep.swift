/// One step of `--cleanup`: removes one kind of artefact a mode may have installed and reports each.
public struct CleanupStep: Sendable {
    /// What it removes (`nftables tables`, `iptables chains`), for tests and logs.
    public var name: String
    public var run: @Sendable () async -> [CleanupReport.Item]

    public init(_ name: String, run: @escaping @Sendable () async -> [CleanupReport.Item]) {
        self.name = name
        self.run = run
    }
}
