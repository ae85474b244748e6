/// What IPVS mode's sets of one family hold after a successful restore, kept in memory so that a change is
/// rendered from it and the model's diff alone, without listing the kernel.
///
/// Every entry is counted: two Service ports may contribute the same one (a shared endpoint in `LOOP-BACK`, two
/// ports claiming one ClusterIP), and it leaves the set only when the last of them goes.
///
/// - Important: Valid only after the restore that produced it succeeded; after a refused one the caller drops it
///   and the next sync is full (from `IPSetDriver.listing()`).
public struct IPVSIPSetContents: Sendable, Hashable {
    /// The renderer (family, NodePort and node addresses) the contents were rendered with; a partial sync needs
    /// the same.
    public let renderer: IPVSIPSetRenderer
    /// Per set, each entry with the number of Service ports contributing it.
    var counts: [IPVSIPSet: [String: Int]] = [:]
    /// Per hash set, the `maxelem` it was created with.
    var maxElements: [IPVSIPSet: Int] = [:]

    init(renderer: IPVSIPSetRenderer) {
        self.renderer = renderer
    }

    /// The entries of one set, sorted.
    public func entries(_ set: IPVSIPSet) -> [String] {
        (counts[set] ?? [:]).keys.sorted()
    }

    /// How many entries the set holds.
    public func count(_ set: IPVSIPSet) -> Int {
        counts[set]?.count ?? 0
    }

    mutating func record(_ entries: Set<IPVSIPSetEntry>) {
        for entry in entries { counts[entry.set, default: [:]][entry.entry, default: 0] += 1 }
    }
}
