/// One element of one of proxyd's sets or maps, as a Service port contributes it.
struct NftablesElement: Sendable, Hashable {
    var set: String
    /// The key as nft writes it (`10.96.0.10 . tcp . 80`).
    var key: String
    /// For maps, the value (`goto pick-2`, `10.244.1.5 . 8080`); nil for sets.
    var value: String?
    var comment: String?

    var id: ID { ID(set: set, key: key) }

    struct ID: Sendable, Hashable {
        var set: String
        var key: String
    }

    /// The element as written inside `{ … }` of an `add element` command.
    var text: String {
        var text = key
        if let comment { text += " comment \"\(comment)\"" }
        if let value { text += " : \(value)" }
        return text
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

    mutating func add(_ element: NftablesElement, owner: String) {
        var claims = owners[element.id, default: []]
        let claim = Claim(owner: owner, element: element)
        let index = claims.firstIndex { $0.owner > owner } ?? claims.endIndex
        claims.insert(claim, at: index)
        owners[element.id] = claims
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
            guard let claims = owners[id], claims.count > 1, let winner = claims.first else { continue }
            for claim in claims.dropFirst() where claim.element.value != winner.element.value {
                result.append(
                    "\(claim.owner) and \(winner.owner) both claim \(id.key) in \(id.set); \(winner.owner) wins")
            }
        }
        return result.sorted()
    }
}
