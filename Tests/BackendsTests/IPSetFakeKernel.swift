import Backends
import ServiceModel
import Testing

/// ipsets in memory with `ipset restore`'s rules, for the renderer's tests: a create of an existing set, an add of a
/// present entry or a del of a missing one (without `-exist`), a set outgrowing its `maxelem`, and a swap of sets of
/// different types are refused, naming the line — so every input a test applies is one the kernel would take.
///
/// The real `ipset` runs in the kernel tests (`KernelTests/IPVSIPSetKernelTests`); this one makes properties over
/// many random clusters cheap.
struct IPSetFakeKernel {
    struct StoredSet: Equatable {
        var type: String
        var family: String?
        var maxElements: Int
        var entries: Set<String> = []
    }

    struct Refusal: Error, CustomStringConvertible {
        var line: Int
        var text: String
        var reason: String
        var description: String { "line \(line) \"\(text)\": \(reason)" }
    }

    var sets: [String: StoredSet] = [:]

    /// What `IPSetDriver.listing()` would read.
    var listing: IPSetListing {
        IPSetListing(sets: sets.mapValues {
            IPSetListing.ListedSet(type: $0.type, family: $0.family == "inet6" ? .ipv6 : $0.family == "inet" ? .ipv4 : nil)
        })
    }

    /// Applies a restore input, line by line, stopping at the first refusal.
    mutating func restore(_ input: IPSetRestoreInput) throws(Refusal) {
        var number = 0
        for line in input.text.split(separator: "\n", omittingEmptySubsequences: false) {
            number += 1
            if line.isEmpty || line.hasPrefix("#") { continue }
            let words = line.split(separator: " ").map(String.init)
            func refuse(_ reason: String) -> Refusal { Refusal(line: number, text: String(line), reason: reason) }
            let exist = words.last == "-exist"
            switch words[0] {
            case "create":
                guard sets[words[1]] == nil else { throw refuse("set exists") }
                var set = StoredSet(type: words[2], family: nil, maxElements: 65536)
                if let index = words.firstIndex(of: "family") { set.family = words[index + 1] }
                if let index = words.firstIndex(of: "maxelem") { set.maxElements = Int(words[index + 1])! }
                sets[words[1]] = set
            case "add":
                guard var set = sets[words[1]] else { throw refuse("no such set") }
                if set.entries.contains(words[2]) {
                    if !exist { throw refuse("already added") }
                    continue
                }
                guard set.entries.count < set.maxElements else { throw refuse("set is full") }
                set.entries.insert(words[2])
                sets[words[1]] = set
            case "del":
                guard var set = sets[words[1]] else { throw refuse("no such set") }
                if set.entries.remove(words[2]) == nil && !exist { throw refuse("not in set") }
                sets[words[1]] = set
            case "swap":
                guard let from = sets[words[1]], let to = sets[words[2]] else { throw refuse("no such set") }
                guard from.type == to.type && from.family == to.family else { throw refuse("type does not match") }
                sets[words[1]] = to
                sets[words[2]] = from
            case "destroy":
                guard sets.removeValue(forKey: words[1]) != nil else { throw refuse("no such set") }
            default:
                throw refuse("unknown command")
            }
        }
    }

    /// Every set's entries, `SET entry` sorted: for comparing with the renderer's contents.
    func entries(prefix: String) -> [String] {
        sets.filter { $0.key.hasPrefix(prefix) }.flatMap { name, set in set.entries.map { "\(name) \($0)" } }.sorted()
    }
}
