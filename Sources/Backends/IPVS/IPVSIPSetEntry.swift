/// One entry of one of IPVS mode's sets, written as `ipset` reads and prints it (`10.96.0.10,tcp:80`).
public struct IPVSIPSetEntry: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var set: IPVSIPSet
    public var entry: String

    public init(_ set: IPVSIPSet, _ entry: String) {
        self.set = set
        self.entry = entry
    }

    public var description: String { "\(set) \(entry)" }

    public static func < (lhs: IPVSIPSetEntry, rhs: IPVSIPSetEntry) -> Bool {
        (lhs.set.order, lhs.entry) < (rhs.set.order, rhs.entry)
    }
}

extension IPVSIPSet {
    /// The position in `allCases`: the order sets are written in.
    var order: Int { Self.allCases.firstIndex(of: self)! }
}
