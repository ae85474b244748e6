/// A plan the kernel did not take whole: which operations failed and why, and how many were applied.
///
/// IPVS has no transactions: the operations before and after a failure stay applied (the driver goes on past a
/// failure, skipping only the real-server operations of a virtual server it could not add, so one refused Service
/// does not hold back the others). The committed state is then unknown; the runner plans in full next time.
public struct IPVSApplyFailure: Error, Sendable, CustomStringConvertible {
    /// One refused operation: its position in the plan, the operation, and the kernel's reason.
    public struct Refusal: Sendable, CustomStringConvertible {
        public var index: Int
        public var operation: IPVSOperation
        public var error: IPVSError

        public var description: String { "operation \(index + 1) (\(operation)): \(error.message)" }
    }

    /// Operations in the plan.
    public var total: Int
    /// Operations the kernel took.
    public var applied: Int
    /// Operations not sent because the virtual server they change could not be added.
    public var skipped: Int
    public var refusals: [Refusal]

    public var description: String {
        let first = refusals.prefix(3).map(\.description).joined(separator: "; ")
        let more = refusals.count > 3 ? "; and \(refusals.count - 3) more" : ""
        return "IPVS took \(applied) of \(total) operations (\(refusals.count) refused, \(skipped) skipped): \(first)\(more)"
    }
}
