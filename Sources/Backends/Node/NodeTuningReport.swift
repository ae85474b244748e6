/// What node tuning changed, and what it could not change.
public struct NodeTuningReport: Sendable, CustomStringConvertible {
    public struct Change: Sendable, Hashable, CustomStringConvertible {
        public var name: String
        /// The value before (nil if it could not be read).
        public var old: Int?
        public var new: Int

        public var description: String { "\(name): \(old.map(String.init) ?? "?") -> \(new)" }
    }

    /// Settings written, in the order they were written.
    public var changes: [Change] = []
    /// Settings that already held the wanted value.
    public var unchanged: [String] = []
    /// Settings that could not be read or written, each with the reason and what it means.
    public var warnings: [String] = []

    public init() {}

    public var description: String {
        let changed = changes.isEmpty ? "nothing changed" : "changed " + changes.map(\.description).joined(separator: ", ")
        return warnings.isEmpty ? changed : changed + "; " + warnings.joined(separator: "; ")
    }
}
