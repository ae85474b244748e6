/// An ordered list of IPVS operations and the state they lead to.
///
/// Order (IPVS has no transactions, so every prefix must make sense): bind addresses, add and update virtual
/// servers, add and update real servers, drain real servers, delete real servers, delete virtual servers (their
/// real servers go with them), unbind addresses. Within each step, by virtual server and real server.
public struct IPVSPlan: Sendable {
    public var operations: [IPVSOperation]
    /// What IPVS holds once every operation is applied.
    public var committed: IPVSCommittedState
    /// Conflicts resolved while planning (two Service ports claiming one virtual server).
    public var warnings: [String]
    /// Planned from the kernel's listing rather than from the committed state and a diff.
    public var isFull: Bool

    /// One operation per line, as `IPVSOperation` prints them (the dry-run dump).
    public var text: String { operations.map(\.description).joined(separator: "\n") }

    public var isEmpty: Bool { operations.isEmpty }
}
