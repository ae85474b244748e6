import ServiceModel

/// One sync of IPVS mode: the node settings, the IPVS operations, the `ipset restore` input and the iptables input
/// of every family — what `IPVSProgram.apply` sends, and what `--dry-run` prints.
///
/// Applied in this order (`IPVSProgram.apply`): node settings and IPVS's timeouts (full syncs only:
/// `net.ipv4.vs.conntrack=1` is what lets the rules see IPVS's connections), ipsets (the rules match on them),
/// iptables, IPVS operations, then the destruction of sets no rule uses any more. A partial sync has ipsets and IPVS operations only; the rules never
/// change with Services.
///
/// `text` prints the IPVS operations first (ipvsadm-like lines, `ip addr` for the dummy interface), then the ipset
/// input, then the iptables input, each under a `#` header naming the tool that reads it; the node settings and the
/// timeouts (`ipvsadm --set`), when there are any, come first.
public struct IPVSTransaction: KernelTransaction, Hashable, CustomStringConvertible {
    /// What one family gets.
    public struct Family: Sendable, Hashable {
        public var family: IPFamily
        /// One netlink request each, in plan order (`IPVSPlan`).
        public var operations: [IPVSOperation]
        /// Sets created, filled or edited (empty: nothing to restore).
        public var sets: IPSetRestoreInput
        /// The rules (full syncs, and a family no longer served: its removal); empty on partial syncs.
        public var rules: IptablesRestoreInput
        /// Sets destroyed after the rules stopped matching on them (an earlier version's, a family no longer served).
        public var staleSets: IPSetRestoreInput

        public init(
            family: IPFamily, operations: [IPVSOperation] = [], sets: IPSetRestoreInput? = nil, rules: IptablesRestoreInput? = nil,
            staleSets: IPSetRestoreInput? = nil
        ) {
            self.family = family
            self.operations = operations
            self.sets = sets ?? IPSetRestoreInput(family: family, text: "")
            self.rules = rules ?? IptablesRestoreInput(family: family, text: "")
            self.staleSets = staleSets ?? IPSetRestoreInput(family: family, text: "")
        }

        public var isEmpty: Bool { operations.isEmpty && sets.isEmpty && rules.isEmpty && staleSets.isEmpty }
    }

    /// Node settings applied first (read, and written where they differ); full syncs only.
    public var tuning: [TuningSetting]
    /// IPVS's connection timeouts, set right after the node settings (full syncs, when any is configured).
    public var timeouts: IPVSTimeouts?
    public var families: [Family]
    /// A full sync (from the kernel's listing) rather than a partial one or the end of drains.
    public var isFull: Bool

    public init(tuning: [TuningSetting] = [], timeouts: IPVSTimeouts? = nil, families: [Family] = [], isFull: Bool) {
        self.tuning = tuning
        self.timeouts = timeouts
        self.families = families
        self.isFull = isFull
    }

    /// True when no family has anything to apply (node settings and timeouts alone change nothing once set).
    public var isEmpty: Bool { families.allSatisfy(\.isEmpty) }

    /// IPVS operations in all, over every family.
    public var operationCount: Int { families.reduce(0) { $0 + $1.operations.count } }

    public var text: String {
        var text = ""
        if !tuning.isEmpty {
            text += "# sysctl (node settings, before everything else)\n"
            for setting in tuning { text += "\(setting)\n" }
        }
        if let timeouts {
            text += "# ipvsadm --set (IPVS connection timeouts in seconds: tcp tcpfin udp; 0 leaves the kernel's)\n\(timeouts)\n"
        }
        for part in families where !part.operations.isEmpty {
            text += "# ipvsadm (\(part.family)): \(part.operations.count) operations, one netlink request each\n"
            for operation in part.operations { text += "\(operation)\n" }
        }
        for part in families where !part.sets.isEmpty {
            text += "# ipset restore (\(part.family))\n" + part.sets.text
        }
        for part in families where !part.rules.isEmpty {
            text += "# \(part.family == .ipv4 ? "iptables" : "ip6tables")-restore --noflush (\(part.family))\n" + part.rules.text
        }
        for part in families where !part.staleSets.isEmpty {
            text += "# ipset restore (\(part.family)): after the rules\n" + part.staleSets.text
        }
        return text
    }

    public var description: String { text }
}
