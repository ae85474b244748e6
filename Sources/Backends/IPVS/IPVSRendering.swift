/// What IPVS mode committed for one family, kept in memory so that a change is planned from it and the model's diff
/// alone: the virtual servers, real servers, drains and bound addresses, and the sets' entries. The rules are not
/// kept: they never change with Services.
///
/// - Important: Valid only after the transaction that produced it was applied whole; after any failure it is
///   dropped and the next sync is full, from a listing.
public struct IPVSRendering: Sendable, Hashable {
    public var ipvs: IPVSCommittedState
    public var sets: IPVSIPSetContents

    public init(ipvs: IPVSCommittedState, sets: IPVSIPSetContents) {
        self.ipvs = ipvs
        self.sets = sets
    }
}
