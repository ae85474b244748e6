import ServiceModel

/// The iptables rules of IPVS mode as `iptables-restore --noflush` input, per family: a fixed set of chains whose
/// rules match on IPVS mode's ipsets (`IPVSIPSet`), so they change only with settings (node settings, mark bits),
/// never with Services. See README.md in this folder for the layout and why each rule is there.
///
/// Pure and deterministic. The input always rewrites every chain (declaring a chain flushes it), so one full
/// input both creates the rules and repairs them; from a listing it also removes the `PROXYD-` chains and jumps
/// of another mode or version (iptables mode's per Service chains after a switch).
///
/// - Important: The sets must exist before the input is applied (iptables refuses a rule naming a missing set):
///   apply `IPVSIPSetRenderer.FullSync.restore` first.
public struct IPVSIptablesRenderer: Sendable {
    public let settings: IPVSIptablesSettings

    public init(settings: IPVSIptablesSettings = IPVSIptablesSettings()) {
        self.settings = settings
    }

    /// IPVS mode's chains (kube-proxy's IPVS chains with proxyd's prefix; `PROXYD-DROP` / `PROXYD-MARK-DROP` carry
    /// the drop decisions kube-proxy's IPVS mode does not make).
    public enum Chain {
        static let prefix = ProxydNames.iptablesChainPrefix
        // nat
        public static let services = IptablesNames.services
        public static let nodePort = prefix + "NODE-PORT"
        public static let loadBalancer = prefix + "LOAD-BALANCER"
        public static let sourceRangesFirewall = prefix + "SOURCE-RANGES-FW"
        public static let postrouting = IptablesNames.postrouting
        public static let markMasquerade = IptablesNames.markMasquerade
        public static let markDrop = prefix + "MARK-DROP"
        // filter
        public static let forward = IptablesNames.forward
        public static let ipvsFilter = prefix + "IPVS-FILTER"
        public static let drop = prefix + "DROP"
        // both
        public static let canary = IptablesNames.canary

        static let nat = [services, nodePort, loadBalancer, sourceRangesFirewall, postrouting, markMasquerade, markDrop, canary]
        static let filter = [forward, nodePort, ipvsFilter, drop, canary]
    }

    /// The rules proxyd adds to built-in chains, in insertion order (each missing one goes to the top of its chain,
    /// so the last listed for a chain ends up first). Where iptables mode has a jump between the same two chains
    /// it is written identically, so switching modes keeps it.
    static let jumps: [IptablesJump] = {
        func jump(_ table: String, _ chain: String, _ target: String, _ comment: String) -> IptablesJump {
            IptablesJump(table: table, chain: chain, spec: "\(IptablesComment(comment).match) -j \(target)", target: target)
        }
        return [
            jump("filter", "INPUT", Chain.nodePort, "kubernetes health check rules"),
            jump("filter", "INPUT", Chain.ipvsFilter, "kubernetes ipvs access filter"),
            jump("filter", "FORWARD", Chain.forward, "kubernetes forwarding rules"),
            jump("filter", "INPUT", Chain.drop, "kubernetes service traffic to drop"),
            jump("filter", "OUTPUT", Chain.drop, "kubernetes service traffic to drop"),
            jump("nat", "OUTPUT", Chain.services, "kubernetes service portals"),
            jump("nat", "PREROUTING", Chain.services, "kubernetes service portals"),
            jump("nat", "POSTROUTING", Chain.postrouting, "kubernetes postrouting rules"),
        ]
    }()

    /// The line that checks the canary rule of `table`: a cheap test, before trusting that the rules are still
    /// there, that nobody flushed the table (`IptablesError.Code.checkFailed` when gone).
    public static func canaryCheck(_ family: IPFamily) -> IptablesRestoreInput {
        var writer = IptablesInputWriter()
        for table in ["filter", "nat"] {
            writer.marker("*\(table)")
            writer.check(IptablesRenderer.canaryCheck, meaning: "\(table): the table was flushed (\(Chain.canary) lost its rule)")
            writer.marker("COMMIT")
        }
        // The writer leaves inputs without changes empty; a check-only input must still run.
        return IptablesRestoreInput(family: family, text: writer.text, checks: writer.checks)
    }

    // MARK: full

    /// The full input for one family: every chain of IPVS mode declared and written, the jumps from built-in
    /// chains made exactly `jumps` (copies and others deleted, missing ones inserted), and every other chain of
    /// proxyd's in `listing` flushed and deleted — unless a rule outside proxyd's chains still jumps to it.
    ///
    /// - Parameters:
    ///   - node: The family's node settings: local traffic detection and `--masquerade-all` shape the rules.
    ///   - listing: What `IptablesDriver.listing(_:)` read (empty: a node proxyd never ran on, or `--dry-run`).
    /// - Returns: The input and warnings (a detector that cannot be used as given, chains left in place).
    public func render(_ family: IPFamily, node: DesiredState.NodeSettings, listing: IptablesTableListing) -> (input: IptablesRestoreInput, warnings: [String]) {
        let (detector, detectorWarnings) = IptablesLocalDetector.make(node.localTrafficDetector)
        var warnings = detectorWarnings
        var writer = IptablesInputWriter(reserving: 8192)
        writer.marker("# \(family): IPVS mode's rules (per Service data lives in the ipsets), full sync")
        for table in ["filter", "nat"] {
            let chains = table == "filter" ? Chain.filter : Chain.nat
            let blocked = listing[table].referencedByOthers
            var stale = listing[table].chains.subtracting(chains)
            for chain in stale.intersection(blocked).sorted() {
                warnings.append("iptables (\(family)): \(table) chain \(chain) is no longer used but a rule outside proxyd's chains jumps to it; it is left in place")
            }
            stale.subtract(blocked)
            writer.marker("*\(table)")
            for chain in chains + stale.sorted() { writer.declare(chain) }
            jumpLines(table, listing: listing, into: &writer)
            writer.line(IptablesRenderer.canaryRule)
            writer.lines(table == "filter" ? filterRules(family) : natRules(family, detector: detector, masqueradeAll: node.masqueradeAll))
            for chain in stale.sorted() { writer.line("-X \(chain)") }
            writer.marker("COMMIT")
        }
        return (writer.input(family), warnings)
    }

    /// The jumps of `table`: a listed jump exactly as wanted is kept (once), every other listed jump is deleted,
    /// and the wanted ones not listed are inserted at the top.
    private func jumpLines(_ table: String, listing: IptablesTableListing, into writer: inout IptablesInputWriter) {
        let wanted = Self.jumps.filter { $0.table == table }
        var kept = Set<String>()
        for jump in listing[table].jumps {
            if wanted.contains(where: { "-A \($0.chain) \($0.spec)" == jump.rule }) && kept.insert(jump.rule).inserted { continue }
            writer.line("-D" + jump.rule.dropFirst(2))
        }
        for jump in wanted where !kept.contains("-A \(jump.chain) \(jump.spec)") { writer.line("-I \(jump.chain) 1 \(jump.spec)") }
    }

    /// `-m set --match-set NAME FLAGS`.
    private func match(_ set: IPVSIPSet, _ family: IPFamily, _ flags: String) -> String {
        "-m set --match-set \(set.name(family)) \(flags)"
    }

    private func comment(_ text: String) -> String { IptablesComment(text).match }

    // MARK: filter

    /// Accepts forwarded Service traffic and health checks, rejects new connections to Service addresses on ports
    /// no Service uses, and drops what the nat rules marked.
    private func filterRules(_ family: IPFamily) -> [String] {
        let masquerade = settings.masqueradeMark
        let drop = settings.dropMark
        var rules = [
            // Forwarded Service traffic passes even where the FORWARD policy is DROP.
            "-A \(Chain.forward) \(comment("kubernetes forwarding rules")) -m mark --mark \(masquerade)/\(masquerade) -j ACCEPT",
            "-A \(Chain.forward) \(comment("kubernetes forwarding conntrack rule")) -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
            "-A \(Chain.nodePort) \(comment("Kubernetes health check node port")) -p tcp \(match(.healthCheckNodePort, family, "dst")) -j ACCEPT",
        ]
        // The Service addresses are local (bound to the dummy interface): without this, every port the node
        // listens on would answer on them too (kubernetes/kubernetes#72236).
        for set in [IPVSIPSet.loadBalancer, .clusterIP, .externalIP, .externalIPLocal] {
            rules.append("-A \(Chain.ipvsFilter) \(match(set, family, "dst,dst")) -j RETURN")
        }
        rules.append("-A \(Chain.ipvsFilter) \(match(.healthCheckNodePort, family, "dst")) -j RETURN")
        rules.append(
            "-A \(Chain.ipvsFilter) \(comment("no Service at this address and port")) -m conntrack --ctstate NEW \(match(.ipvsIPs, family, "dst")) -j REJECT")
        rules.append("-A \(Chain.drop) \(comment("marked by proxyd's nat rules")) -m mark --mark \(drop)/\(drop) -j DROP")
        return rules
    }

    // MARK: nat

    /// Decides per new connection to a Service address what IPVS alone cannot: drop (source ranges, Local policies
    /// without a local endpoint) and masquerade (from outside the pod network, external traffic under policy
    /// Cluster, hairpin); then accepts, so that no later nat rule of someone else rewrites Service traffic.
    private func natRules(_ family: IPFamily, detector: IptablesLocalDetector?, masqueradeAll: Bool) -> [String] {
        let services = Chain.services
        let masquerade = Chain.markMasquerade
        let notLocalSource = "-m addrtype ! --src-type LOCAL"
        let localSource = "-m addrtype --src-type LOCAL"
        var rules = [
            // Connections from loopback addresses are not Service traffic IPVS handles.
            "-A \(services) -s \(family == .ipv4 ? "127.0.0.0/8" : "::1/128") -j RETURN",
            "-A \(services) \(comment("internalTrafficPolicy Local without a local endpoint")) \(match(.clusterIPDrop, family, "dst,dst")) -j \(Chain.markDrop)",
            // This node's pods and the node itself are served by the cluster's endpoints (IPVS falls back to them).
            "-A \(services) \(comment("externalTrafficPolicy Local without a local endpoint, from outside the node")) \(match(.externalDrop, family, "dst,dst"))"
                + (detector.map { " " + $0.ifNotLocal } ?? "") + " \(notLocalSource) -j \(Chain.markDrop)",
            "-A \(services) \(comment("loadBalancerSourceRanges")) \(match(.loadBalancerFirewall, family, "dst,dst")) -j \(Chain.sourceRangesFirewall)",
            "-A \(services) \(comment("Kubernetes service lb portal")) \(match(.loadBalancer, family, "dst,dst")) -j \(Chain.loadBalancer)",
        ]
        let clusterIPComment = comment("Kubernetes service cluster ip + port for masquerade purpose")
        if masqueradeAll {
            rules.append("-A \(services) \(clusterIPComment) \(match(.clusterIP, family, "dst,dst")) -j \(masquerade)")
        } else if let detector {
            rules.append("-A \(services) \(clusterIPComment) \(match(.clusterIP, family, "dst,dst")) \(detector.ifNotLocal) -j \(masquerade)")
        } else {
            // Pods cannot be told apart: masquerade the node's own connections, which leave from a Service address
            // (the destination's, bound to the dummy interface).
            rules.append("-A \(services) \(clusterIPComment) \(match(.clusterIP, family, "src,dst")) -j \(masquerade)")
        }
        rules += [
            "-A \(services) \(comment("Kubernetes service external ip + port for masquerade and filter purpose")) \(match(.externalIP, family, "dst,dst")) -j \(masquerade)",
            "-A \(services) \(comment("externalTrafficPolicy Local, from the node itself")) \(match(.externalIPLocal, family, "dst,dst")) \(localSource) -j \(masquerade)",
        ]
        for set in [IPVSIPSet.clusterIP, .loadBalancer, .externalIP, .externalIPLocal] {
            rules.append("-A \(services) \(match(set, family, "dst,dst")) -j ACCEPT")
        }
        rules.append("-A \(services) \(comment("kubernetes service nodeports")) -m addrtype --dst-type LOCAL -j \(Chain.nodePort)")

        rules += [
            "-A \(Chain.loadBalancer) \(localSource) -j \(masquerade)",
            "-A \(Chain.loadBalancer) \(match(.loadBalancerLocal, family, "dst,dst")) -j RETURN",
            "-A \(Chain.loadBalancer) -j \(masquerade)",
            "-A \(Chain.sourceRangesFirewall) \(match(.loadBalancerSourceCIDR, family, "dst,dst,src")) -j RETURN",
            "-A \(Chain.sourceRangesFirewall) \(match(.loadBalancerSourceIP, family, "dst,dst,src")) -j RETURN",
            "-A \(Chain.sourceRangesFirewall) -j \(Chain.markDrop)",
        ]
        for proto in TransportProtocol.allCases {
            let sets = IPVSIPSet.nodePorts(proto)
            let flags = proto == .sctp ? "dst,dst" : "dst"
            let p = "-p \(proto.netfilterName)"
            rules += [
                "-A \(Chain.nodePort) \(p) \(match(sets.local, family, flags)) \(localSource) -j \(masquerade)",
                "-A \(Chain.nodePort) \(p) \(match(sets.local, family, flags)) -j RETURN",
                "-A \(Chain.nodePort) \(p) \(match(sets.all, family, flags)) -j \(masquerade)",
            ]
        }

        let mark = settings.masqueradeMark
        rules += [
            "-A \(Chain.postrouting) \(comment("Kubernetes endpoints dst ip:port, source ip for solving hairpin purpose")) \(match(.loopBack, family, "dst,dst,src")) -j MASQUERADE",
            "-A \(Chain.postrouting) -m mark ! --mark \(mark)/\(mark) -j RETURN",
            // Cleared so that a packet crossing the stack again is not masqueraded twice.
            "-A \(Chain.postrouting) -j MARK --xor-mark \(mark)",
            "-A \(Chain.postrouting) \(comment("kubernetes service traffic requiring SNAT")) -j MASQUERADE --random-fully",
            "-A \(masquerade) -j MARK --or-mark \(mark)",
            "-A \(Chain.markDrop) -j MARK --or-mark \(settings.dropMark)",
        ]
        return rules
    }

    // MARK: removal

    /// Removes every chain of proxyd's in `listing` and the jumps to them, for a family IPVS mode no longer serves.
    /// Chains a rule outside proxyd's chains jumps to are flushed but kept.
    public func removal(_ family: IPFamily, listing: IptablesTableListing) -> IptablesRestoreInput {
        var writer = IptablesInputWriter()
        writer.marker("# \(family): no longer served; removing proxyd's chains")
        for table in ProxydNames.iptablesTables {
            let chains = listing[table].chains.sorted()
            let deletable = listing[table].chains.subtracting(listing[table].referencedByOthers).sorted()
            if chains.isEmpty && listing[table].jumps.isEmpty { continue }
            writer.marker("*\(table)")
            for chain in chains { writer.declare(chain) }
            writer.lines(listing[table].jumps.map { "-D" + $0.rule.dropFirst(2) })
            for chain in deletable { writer.line("-X \(chain)") }
            writer.marker("COMMIT")
        }
        return writer.input(family)
    }
}
