/// One element of one of proxyd's sets or maps, as a Service port contributes it.
///
/// An element of an interval set can stand for several: `key . interval` for each of `intervals`. All the
/// intervals of one key belong to one owner, so that two Service ports claiming one destination never load
/// overlapping intervals (which the kernel refuses with "File exists"): only the winning claim is loaded.
struct NftablesElement: Sendable, Hashable {
    var set: String
    /// The key as nft writes it (`10.96.0.10 . tcp . 80`); for an interval set, the part before the interval.
    var key: String
    /// For maps, the value (`goto pick-2`, `10.244.1.5 . 8080`); nil for sets.
    var value: String?
    var comment: NftablesString?
    /// For interval sets: the intervals appended to `key`, none overlapping another; nil for other sets.
    var intervals: [String]?

    init(set: String, key: String, value: String? = nil, comment: NftablesString? = nil, intervals: [String]? = nil) {
        self.set = set
        self.key = key
        self.value = value
        self.comment = comment
        self.intervals = intervals
    }

    var id: ID { ID(set: set, key: key) }

    struct ID: Sendable, Hashable {
        var set: String
        var key: String
    }

    /// The element as written inside `{ … }` of an `add element` command (several, comma-separated, for an
    /// element with intervals).
    var text: String {
        var text = ""
        write(to: &text)
        return text
    }

    /// Appends `text` to `output` without building it first; the elements of several intervals are separated by
    /// `intervalSeparator`.
    func write(to output: inout String, intervalSeparator: String = ", ") {
        if let intervals {
            writeKeys(to: &output, intervals: intervals, separator: intervalSeparator)
            return
        }
        output.append(key)
        if let comment {
            output.append(" comment \"")
            output.append(comment.text)
            output.append("\"")
        }
        if let value {
            output.append(" : ")
            output.append(value)
        }
    }

    /// The keys that name this element in a `delete element` command.
    var keysText: String {
        guard let intervals else { return key }
        var text = ""
        writeKeys(to: &text, intervals: intervals, separator: ", ")
        return text
    }

    private func writeKeys(to output: inout String, intervals: [String], separator: String) {
        for (index, interval) in intervals.enumerated() {
            if index > 0 { output.append(separator) }
            output.append(key)
            output.append(" . ")
            output.append(interval)
        }
    }

    /// The length of `text` in UTF-8 bytes.
    var textByteCount: Int {
        if let intervals { return intervals.reduce(0) { $0 + key.utf8.count + $1.utf8.count + 6 } }
        return key.utf8.count + (comment.map { $0.text.utf8.count + 11 } ?? 0) + (value.map { $0.utf8.count + 3 } ?? 0)
    }
}

/// Who wants which element: several Service ports may contribute the same element (their ClusterIP to
/// `cluster-ips`, a shared endpoint to `hairpin`), and two may even claim one map key with different values
/// (two Services listing the same external IP and port).
///
/// - Important: An element is in the kernel while it has at least one owner. When owners disagree, the owner
///   that sorts first wins (deterministic, like kube-proxy's rule order), and the conflict is reported.
struct NftablesElementTable: Sendable {
    private(set) var owners: [NftablesElement.ID: [Claim]] = [:]

    struct Claim: Sendable, Hashable {
        var owner: String
        var element: NftablesElement
    }

    /// The element the kernel should hold for `id`, if any.
    func effective(_ id: NftablesElement.ID) -> NftablesElement? {
        owners[id]?.first?.element
    }

    /// Every claim on `id`, the winning one first; nil when nobody wants it.
    func claims(_ id: NftablesElement.ID) -> [Claim]? {
        owners[id]
    }

    mutating func reserveCapacity(_ elements: Int) {
        owners.reserveCapacity(elements)
    }

    mutating func add(_ element: NftablesElement, owner: String) {
        // Mutated in place (one hash lookup, no copy of the claims): this runs once per element of a full sync.
        let claim = Claim(owner: owner, element: element)
        owners[element.id, default: []].insertSorted(claim)
    }

    mutating func remove(_ element: NftablesElement, owner: String) {
        guard var claims = owners[element.id] else { return }
        if let index = claims.firstIndex(where: { $0.owner == owner && $0.element == element }) {
            claims.remove(at: index)
        }
        owners[element.id] = claims.isEmpty ? nil : claims
    }

    /// The maps whose keys are destinations Services claim; a conflict elsewhere (an endpoint slot) follows
    /// from one of these and is not reported again.
    static let claimedMaps: Set<String> = [NftablesNames.serviceIPs, NftablesNames.serviceNodePorts]

    /// Destinations claimed by two Service ports with different verdicts, as warnings naming both.
    func conflicts(among ids: some Sequence<NftablesElement.ID>) -> [String] {
        var result: [String] = []
        for id in Set(ids) where Self.claimedMaps.contains(id.set) {
            guard let claims = owners[id] else { continue }
            Self.conflicts(id, claims, into: &result)
        }
        return result.sorted()
    }

    /// `conflicts(among:)` for every element of the table (a full sync), without hashing any key again.
    func allConflicts() -> [String] {
        var result: [String] = []
        for (id, claims) in owners where claims.count > 1 && Self.claimedMaps.contains(id.set) {
            Self.conflicts(id, claims, into: &result)
        }
        return Array(Set(result)).sorted()
    }

    private static func conflicts(_ id: NftablesElement.ID, _ claims: [Claim], into result: inout [String]) {
        guard claims.count > 1, let winner = claims.first else { return }
        for claim in claims.dropFirst() where claim.element.value != winner.element.value {
            result.append("\(claim.owner) and \(winner.owner) both claim \(id.key) in \(id.set); \(winner.owner) wins")
        }
    }
}

extension Array where Element == NftablesElementTable.Claim {
    /// Inserts `claim` after every claim whose owner sorts before or equal to its owner.
    fileprivate mutating func insertSorted(_ claim: Element) {
        let index = firstIndex { $0.owner > claim.owner } ?? endIndex
        insert(claim, at: index)
    }
}
