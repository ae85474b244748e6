import ServiceModel

/// proxyd's sets as the kernel holds them, read from `ipset list -t` (names, types and headers, no entries): what a
/// full sync starts from to decide, per set, whether to create it or to fill a temporary set and swap it in.
///
/// Pure: parsed from the command's output. Sets whose names do not start with `ProxydNames.ipsetPrefix` are not
/// proxyd's and are left out.
public struct IPSetListing: Sendable, Hashable {
    /// One listed set.
    public struct ListedSet: Sendable, Hashable {
        /// As `ipset` prints it (`hash:ip,port`).
        public var type: String
        /// From the header's `family inet` / `inet6`; nil for types without a family.
        public var family: IPFamily?
        /// `References:`: iptables rules (or other kernel users) matching on the set; such a set cannot be destroyed.
        public var references: Int

        public init(type: String, family: IPFamily? = nil, references: Int = 0) {
            self.type = type
            self.family = family
            self.references = references
        }
    }

    public var sets: [String: ListedSet]

    /// Nothing of proxyd's (a node it never ran on, or what `--dry-run` assumes).
    public init(sets: [String: ListedSet] = [:]) {
        self.sets = sets
    }

    /// Reads `ipset list -t` (or `ipset list`: member lines are skipped).
    public init(terse output: String) {
        var sets: [String: ListedSet] = [:]
        var name: String?
        var current = ListedSet(type: "")
        func finish() {
            if let name, ProxydNames.isProxydSet(name) { sets[name] = current }
        }
        for line in output.split(whereSeparator: \.isNewline) {
            if line.hasPrefix("Name: ") {
                finish()
                name = String(line.dropFirst(6))
                current = ListedSet(type: "")
            } else if line.hasPrefix("Type: ") {
                current.type = String(line.dropFirst(6))
            } else if line.hasPrefix("Header: ") {
                let words = line.split(separator: " ")
                if let index = words.firstIndex(of: "family"), index + 1 < words.count {
                    current.family = words[index + 1] == "inet6" ? .ipv6 : words[index + 1] == "inet" ? .ipv4 : nil
                }
            } else if line.hasPrefix("References: ") {
                current.references = Int(line.dropFirst(12)) ?? 0
            }
        }
        finish()
        self.sets = sets
    }

    public subscript(name: String) -> ListedSet? { sets[name] }
}
