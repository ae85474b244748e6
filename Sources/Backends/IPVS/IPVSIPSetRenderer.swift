import ServiceModel

/// Turns one family's desired state into the entries of IPVS mode's ipsets (`IPVSIPSet`), and those into
/// `ipset restore` input: a pure, deterministic function (same input, same bytes).
///
/// - A **full** sync creates the sets that do not exist and fills every set: a missing set is created and filled
///   in place; an existing one is replaced at once by filling a temporary set (`PROXYD-SWAP`) and swapping it in, so
///   that no packet ever sees it half filled and rules matching on it keep working. Sets grow with the cluster
///   (`maxelem` at least twice the entries), and the swap brings the new size along.
/// - A **partial** sync writes only the entries that appear or disappear (`add … -exist`, `del … -exist`), from the
///   committed contents and the model's diff: O(size of the diff), whatever the number of Services.
///
/// Entries are made of addresses, protocols and port numbers only: nothing a Service's name or any other string
/// from the cluster could turn into a second command.
///
/// - Important: The entries must match what `IPVSPlanner` programs: the same NodePort addresses and the same bound
///   addresses, so it is built from the planner (`init(planner:)`).
public struct IPVSIPSetRenderer: Sendable, Hashable {
    /// The family, NodePort addresses and node addresses (what `boundAddresses(of:)` leaves out).
    public let planner: IPVSPlanner

    public init(planner: IPVSPlanner) {
        self.planner = planner
    }

    public var family: IPFamily { planner.family }

    // MARK: what a Service port contributes

    /// The entries one Service port puts into the sets (nothing for a port of the other family).
    public func entries(of port: ServicePort) -> Set<IPVSIPSetEntry> {
        guard port.clusterIP.family == family else { return [] }
        var result = Set<IPVSIPSetEntry>()
        let proto = port.protocol.netfilterName
        func add(_ set: IPVSIPSet, _ entry: String) { result.insert(IPVSIPSetEntry(set, entry)) }
        func destination(_ address: IPAddress, _ number: UInt16) -> String { "\(address),\(proto):\(number)" }

        // Every endpoint reaching itself through any of the port's virtual servers.
        for endpoint in port.reachableEndpoints where endpoint.address.family == family {
            add(.loopBack, "\(endpoint.address),\(proto):\(endpoint.port),\(endpoint.address)")
        }

        let clusterIP = destination(port.clusterIP, port.port)
        add(.clusterIP, clusterIP)
        if port.internalTrafficAction == .drop { add(.clusterIPDrop, clusterIP) }

        let local = port.externalTrafficPolicy == .local
        let externalDrop = port.externalTrafficAction == .drop
        for address in port.externalIPs where address.family == family {
            let entry = destination(address, port.port)
            add(local ? .externalIPLocal : .externalIP, entry)
            if externalDrop { add(.externalDrop, entry) }
        }
        for address in port.loadBalancerIPs where address.family == family {
            let entry = destination(address, port.port)
            add(.loadBalancer, entry)
            if local { add(.loadBalancerLocal, entry) }
            if externalDrop { add(.externalDrop, entry) }
            if let ranges = port.loadBalancerSourceRanges {
                add(.loadBalancerFirewall, entry)
                for range in ranges where range.family == family {
                    for part in Self.storable(range) { add(.loadBalancerSourceCIDR, entry + "," + Self.text(part)) }
                }
                if port.loadBalancerSourceRangesIncludeNode { add(.loadBalancerSourceIP, entry + ",\(address)") }
            }
        }

        if let nodePort = port.nodePort {
            let sets = IPVSIPSet.nodePorts(port.protocol)
            let entries = port.protocol == .sctp ? planner.nodePortAddresses.map { destination($0, nodePort) } : [String(nodePort)]
            for entry in entries {
                add(sets.all, entry)
                if local { add(sets.local, entry) }
            }
            if externalDrop {
                for address in planner.nodePortAddresses { add(.externalDrop, destination(address, nodePort)) }
            }
        }
        if let healthCheck = port.healthCheckNodePort { add(.healthCheckNodePort, String(healthCheck)) }
        for address in planner.boundAddresses(of: port) { add(.ipvsIPs, address.description) }
        return result
    }

    /// A source range as the kernel stores it in a `hash:ip,port,net` set, which refuses prefix length 0: `0.0.0.0/0`
    /// becomes its two halves.
    static func storable(_ range: CIDR) -> [CIDR] {
        guard range.isZero else { return [range] }
        let upper: IPAddress = range.family == .ipv4 ? "128.0.0.0" : "8000::"
        return [CIDR(address: range.address, prefixLength: 1)!, CIDR(address: upper, prefixLength: 1)!]
    }

    /// A prefix as `ipset save` prints it: a full-length one as a bare address.
    static func text(_ range: CIDR) -> String {
        range.prefixLength == (range.family == .ipv4 ? 32 : 128) ? range.address.description : range.description
    }

    /// `maxelem` for a hash set of `count` entries: room for the set to double, never below ipset's default.
    public static func maxElements(for count: Int) -> Int {
        var size = IPSetDefinition.defaultMaxElements
        while size < 2 * count { size *= 2 }
        return size
    }

    // MARK: full

    /// A full sync: the restore that creates and fills every set, and the one that removes sets IPVS mode no
    /// longer uses.
    public struct FullSync: Sendable {
        /// Creates the missing sets and fills all of them (existing ones through a swap). Apply before the iptables
        /// rules, which match on the sets.
        public var restore: IPSetRestoreInput
        /// Destroys proxyd's sets of this family that IPVS mode does not use (an earlier version's). Apply after the
        /// iptables rules no longer match on them; a failure here only leaves them behind. Nearly always empty.
        public var staleSets: IPSetRestoreInput
        /// What the sets hold once `restore` succeeded.
        public var contents: IPVSIPSetContents
    }

    /// Renders every set for `state`, given which of proxyd's sets exist (`IPSetDriver.listing()`; an empty
    /// listing for a node proxyd never ran on, or for `--dry-run`).
    public func full(_ state: DesiredState, listing: IPSetListing) -> FullSync {
        var contents = IPVSIPSetContents(renderer: self)
        for port in state.servicePorts { contents.record(entries(of: port)) }

        let total = contents.counts.values.reduce(0) { $0 + $1.count }
        var writer = IPSetRestoreInput.Writer(reserving: 4096 + total * 48)
        writer.comment("\(family): \(state.servicePortCount) Service ports, \(total) entries, full sync of IPVS mode's \(IPVSIPSet.allCases.count) sets")
        let swap = IPVSIPSet.swapName(family)
        if listing[swap] != nil { writer.command("destroy \(swap)") }  // left by a restore that failed half-way
        for set in IPVSIPSet.allCases {
            let entries = contents.entries(set)
            let definition = set.definition(family, maxElements: Self.maxElements(for: entries.count))
            if set.type.hasFamily { contents.maxElements[set] = definition.maxElements }
            if let listed = listing[definition.name] {
                if definition.canSwap(with: listed) {
                    writer.command(definition.named(swap).createCommand)
                    for entry in entries { writer.command("add \(swap) \(entry)") }
                    writer.command("swap \(swap) \(definition.name)")
                    writer.command("destroy \(swap)")
                    continue
                }
                writer.comment("\(definition.name) exists as \(listed.type); replacing it (refused while a rule matches on it: run proxyd --cleanup)")
                writer.command("destroy \(definition.name)")
            }
            writer.command(definition.createCommand)
            for entry in entries { writer.command("add \(definition.name) \(entry)") }
        }

        var stale = IPSetRestoreInput.Writer()
        let known = Set(IPVSIPSet.allCases.map { $0.name(family) } + [swap])
        let unused = listing.sets.keys.filter { IPVSIPSet.family(ofSetNamed: $0) == family && !known.contains($0) }.sorted()
        if !unused.isEmpty {
            stale.comment("\(family): proxyd's sets IPVS mode no longer uses")
            for name in unused { stale.command("destroy \(name)") }
        }
        return FullSync(restore: writer.input(family), staleSets: stale.input(family), contents: contents)
    }

    // MARK: partial

    /// The restore that applies `diff` to the sets, updating `committed` in place to what it commits; nil when the
    /// change needs a full sync: the diff changes node settings, `committed` was rendered with other NodePort or node
    /// addresses, or a set would outgrow its `maxelem`. `committed` is unchanged when nil is returned.
    ///
    /// - Important: Work is proportional to the changed Service ports. If the restore is refused, `committed` no
    ///   longer describes the kernel: list the sets and sync in full.
    public func partial(_ diff: DesiredStateDiff, committed: inout IPVSIPSetContents) -> IPSetRestoreInput? {
        guard diff.family == family, diff.node == nil, committed.renderer == self else { return nil }
        var delta: [IPVSIPSetEntry: Int] = [:]
        for port in diff.removed + diff.changed.map(\.old) {
            for entry in entries(of: port) { delta[entry, default: 0] -= 1 }
        }
        for port in diff.added + diff.changed.map(\.new) {
            for entry in entries(of: port) { delta[entry, default: 0] += 1 }
        }

        var adds: [IPVSIPSetEntry] = []
        var deletes: [IPVSIPSetEntry] = []
        var growth: [IPVSIPSet: Int] = [:]
        for (entry, change) in delta where change != 0 {
            let before = committed.counts[entry.set]?[entry.entry] ?? 0
            let after = before + change
            if before == 0 && after > 0 {
                adds.append(entry)
                growth[entry.set, default: 0] += 1
            } else if before > 0 && after <= 0 {
                deletes.append(entry)
                growth[entry.set, default: 0] -= 1
            }
        }
        for (set, change) in growth where change > 0 {
            if let limit = committed.maxElements[set], committed.count(set) + change > limit { return nil }
        }

        for (entry, change) in delta where change != 0 {
            let after = (committed.counts[entry.set]?[entry.entry] ?? 0) + change
            if after > 0 {
                committed.counts[entry.set, default: [:]][entry.entry] = after
            } else {
                committed.counts[entry.set]?[entry.entry] = nil
                if committed.counts[entry.set]?.isEmpty == true { committed.counts[entry.set] = nil }
            }
        }

        var writer = IPSetRestoreInput.Writer(reserving: (adds.count + deletes.count) * 64 + 128)
        writer.comment("\(family): -\(diff.removed.count) +\(diff.added.count) ~\(diff.changed.count) Service ports, partial sync")
        let deletesBySet = Dictionary(grouping: deletes, by: \.set)
        let addsBySet = Dictionary(grouping: adds, by: \.set)
        for set in IPVSIPSet.allCases {
            let name = set.name(family)
            for entry in (deletesBySet[set] ?? []).map(\.entry).sorted() { writer.command("del \(name) \(entry) -exist") }
            for entry in (addsBySet[set] ?? []).map(\.entry).sorted() { writer.command("add \(name) \(entry) -exist") }
        }
        return writer.input(family)
    }
}
