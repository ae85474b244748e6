import Backends
import Foundation
import ProxyTesting
import ServiceModel
import Testing

@Suite("IPVS mode's iptables rules")
struct IPVSIptablesRendererTests {
    static let node = DesiredState.NodeSettings(
        nodeIPs: ["172.18.0.2"], nodePortAddresses: .allLocal, localTrafficDetector: .sourceCIDRs(["10.244.0.0/16"]))

    static func lines(_ input: IptablesRestoreInput) -> [String] {
        input.text.split(separator: "\n").map(String.init)
    }

    @Test(arguments: [
        (DesiredState.NodeSettings(localTrafficDetector: .sourceCIDRs(["10.244.0.0/16"])), "-m set --match-set PROXYD-CLUSTER-IP dst,dst ! -s 10.244.0.0/16 -j PROXYD-MARK-MASQ"),
        (DesiredState.NodeSettings(localTrafficDetector: .interfaceNamePrefix("veth")), "-m set --match-set PROXYD-CLUSTER-IP dst,dst ! -i veth+ -j PROXYD-MARK-MASQ"),
        (DesiredState.NodeSettings(localTrafficDetector: .sourceCIDRs(["10.244.0.0/16"]), masqueradeAll: true), "-m set --match-set PROXYD-CLUSTER-IP dst,dst -j PROXYD-MARK-MASQ"),
        // Pods cannot be told apart: only the node's own connections, which leave from the Service address.
        (DesiredState.NodeSettings(localTrafficDetector: .none), "-m set --match-set PROXYD-CLUSTER-IP src,dst -j PROXYD-MARK-MASQ"),
    ])
    func clusterIPTrafficIsMasqueradedAsTheNodeSettingsSay(node: DesiredState.NodeSettings, rule: String) {
        let (input, warnings) = IPVSIptablesRenderer().render(.ipv4, node: node, listing: IptablesTableListing())
        let clusterIPRules = Self.lines(input).filter { $0.contains("cluster ip + port for masquerade") }
        #expect(clusterIPRules == [
            "-A PROXYD-SERVICES -m comment --comment \"Kubernetes service cluster ip + port for masquerade purpose\" " + rule,
        ])
        #expect(warnings.isEmpty)
    }

    @Test func theLocalTrafficDetectorAlsoDecidesWhoEscapesTheExternalDrop() {
        let withDetector = IPVSIptablesRenderer().render(.ipv4, node: Self.node, listing: IptablesTableListing()).input
        #expect(Self.lines(withDetector).contains(
            "-A PROXYD-SERVICES -m comment --comment \"externalTrafficPolicy Local without a local endpoint, from outside the node\" -m set --match-set PROXYD-EXTERNAL-DROP dst,dst ! -s 10.244.0.0/16 -m addrtype ! --src-type LOCAL -j PROXYD-MARK-DROP"))
        let without = IPVSIptablesRenderer().render(.ipv4, node: DesiredState.NodeSettings(), listing: IptablesTableListing()).input
        #expect(Self.lines(without).contains(
            "-A PROXYD-SERVICES -m comment --comment \"externalTrafficPolicy Local without a local endpoint, from outside the node\" -m set --match-set PROXYD-EXTERNAL-DROP dst,dst -m addrtype ! --src-type LOCAL -j PROXYD-MARK-DROP"))
    }

    @Test func anInterfaceNameIptablesWouldNotTakeIsAWarningNotARule() {
        let node = DesiredState.NodeSettings(localTrafficDetector: .interfaceName("cni0 -j ACCEPT\n-A INPUT"))
        let (input, warnings) = IPVSIptablesRenderer().render(.ipv4, node: node, listing: IptablesTableListing())
        #expect(!input.text.contains("cni0"))
        #expect(!input.text.contains("-A INPUT"))
        #expect(warnings.count == 1 && warnings[0].contains("is not an interface name"), "\(warnings)")
    }

    @Test func theMarkBitsAreTheSettings() throws {
        let renderer = IPVSIptablesRenderer(settings: try IPVSIptablesSettings(masqueradeBit: 3, validatingDropBit: 4))
        let lines = Self.lines(renderer.render(.ipv4, node: Self.node, listing: IptablesTableListing()).input)
        #expect(lines.contains("-A PROXYD-MARK-MASQ -j MARK --or-mark 0x8"))
        #expect(lines.contains("-A PROXYD-MARK-DROP -j MARK --or-mark 0x10"))
        #expect(lines.contains("-A PROXYD-DROP -m comment --comment \"marked by proxyd's nat rules\" -m mark --mark 0x10/0x10 -j DROP"))
        #expect(lines.contains("-A PROXYD-POSTROUTING -m mark ! --mark 0x8/0x8 -j RETURN"))

        #expect(throws: IPVSSettingsError(field: "dropBit", value: "14", problem: "is the masquerade bit too; IPVS mode needs two different bits")) {
            try IPVSIptablesSettings(masqueradeBit: 14, validatingDropBit: 14)
        }
        #expect(throws: IPVSSettingsError.self) { try IPVSIptablesSettings(masqueradeBit: 14, validatingDropBit: 32) }
    }

    @Test func everySetTheRulesNameIsOneOfIPVSModesSetsOfTheFamily() {
        for family in IPFamily.allCases {
            let text = IPVSIptablesRenderer().render(family, node: Self.node, listing: IptablesTableListing()).input.text
            let named = text.split(separator: " ").enumerated().compactMap { index, word in
                word == "--match-set" ? String(text.split(separator: " ")[index + 1]) : nil
            }
            let known = Set(IPVSIPSet.allCases.map { $0.name(family) })
            #expect(Set(named).isSubset(of: known), "\(Set(named).subtracting(known))")
            // Every set with a purpose in the rules is used.
            #expect(Set(named) == known, "unused: \(known.subtracting(named))")
        }
        #expect(IPVSIptablesRenderer().render(.ipv6, node: Self.node, listing: IptablesTableListing()).input.text
            .contains("-A PROXYD-SERVICES -s ::1/128 -j RETURN"))
    }

    @Test func everyChainNameFitsIptablesLimit() {
        let text = IPVSIptablesRenderer().render(.ipv4, node: Self.node, listing: IptablesTableListing()).input.text
        let chains = text.split(separator: "\n").filter { $0.hasPrefix(":") }.map { $0.dropFirst().prefix { $0 != " " } }
        #expect(chains.count == 13)
        // iptables takes at most 28 bytes (legacy: "28 chars max"; nft: "must be under 29 chars").
        for chain in chains { #expect(chain.utf8.count <= 28 && ProxydNames.isProxydChain(chain), "\(chain)") }
    }

    // MARK: from a listing

    /// What iptables-save shows in a namespace where iptables mode ran before, plus someone else's chain jumping to
    /// one of proxyd's.
    static let iptablesModeDump = """
        *filter
        :INPUT ACCEPT [0:0]
        :FORWARD ACCEPT [0:0]
        :OUTPUT ACCEPT [0:0]
        :PROXYD-EXTERNAL-SERVICES - [0:0]
        :PROXYD-FORWARD - [0:0]
        :PROXYD-NODEPORTS - [0:0]
        :PROXYD-SERVICES - [0:0]
        :OTHER - [0:0]
        -A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j PROXYD-EXTERNAL-SERVICES
        -A INPUT -m comment --comment "kubernetes health check service ports" -j PROXYD-NODEPORTS
        -A FORWARD -m comment --comment "kubernetes forwarding rules" -j PROXYD-FORWARD
        -A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j PROXYD-SERVICES
        -A OTHER -j PROXYD-NODEPORTS
        COMMIT
        *nat
        :PREROUTING ACCEPT [0:0]
        :OUTPUT ACCEPT [0:0]
        :POSTROUTING ACCEPT [0:0]
        :PROXYD-SERVICES - [0:0]
        :PROXYD-SVC-XPGD46QRK7WJZT7O - [0:0]
        :PROXYD-POSTROUTING - [0:0]
        -A PREROUTING -m comment --comment "kubernetes service portals" -j PROXYD-SERVICES
        -A PREROUTING -m comment --comment "kubernetes service portals" -j PROXYD-SERVICES
        -A OUTPUT -m comment --comment "kubernetes service portals" -j PROXYD-SERVICES
        -A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j PROXYD-POSTROUTING
        -A PROXYD-SERVICES -d 10.96.0.10/32 -p tcp -m tcp --dport 80 -j PROXYD-SVC-XPGD46QRK7WJZT7O
        COMMIT

        """

    @Test func fromAListingItReplacesAnotherModesChainsAndJumpsAndKeepsWhatIsAlreadyRight() {
        let (input, warnings) = IPVSIptablesRenderer().render(.ipv4, node: Self.node, listing: IptablesTableListing(save: Self.iptablesModeDump))
        let lines = Self.lines(input)
        // iptables mode's own chains go, except the one someone else's rule jumps to.
        #expect(lines.contains("-X PROXYD-EXTERNAL-SERVICES") && lines.contains("-X PROXYD-SERVICES"))
        #expect(lines.contains("-X PROXYD-SVC-XPGD46QRK7WJZT7O"))
        #expect(!lines.contains("-X PROXYD-NODEPORTS") && !lines.contains(":PROXYD-NODEPORTS - [0:0]"))
        #expect(warnings == [
            "iptables (IPv4): filter chain PROXYD-NODEPORTS is no longer used but a rule outside proxyd's chains jumps to it; it is left in place",
        ])
        // The jumps: iptables mode's that IPVS mode does not use are deleted, the same ones are kept (once).
        #expect(lines.filter { $0.hasPrefix("-D ") || $0.hasPrefix("-I ") } == [
            "-D INPUT -m conntrack --ctstate NEW -m comment --comment \"kubernetes externally-visible service portals\" -j PROXYD-EXTERNAL-SERVICES",
            "-D INPUT -m comment --comment \"kubernetes health check service ports\" -j PROXYD-NODEPORTS",
            "-D FORWARD -m conntrack --ctstate NEW -m comment --comment \"kubernetes service portals\" -j PROXYD-SERVICES",
            "-I INPUT 1 -m comment --comment \"kubernetes health check rules\" -j PROXYD-NODE-PORT",
            "-I INPUT 1 -m comment --comment \"kubernetes ipvs access filter\" -j PROXYD-IPVS-FILTER",
            "-I INPUT 1 -m comment --comment \"kubernetes service traffic to drop\" -j PROXYD-DROP",
            "-I OUTPUT 1 -m comment --comment \"kubernetes service traffic to drop\" -j PROXYD-DROP",
            "-D PREROUTING -m comment --comment \"kubernetes service portals\" -j PROXYD-SERVICES",
        ])
    }

    @Test func aFamilyNoLongerServedLosesEveryChainAndJump() {
        let input = IPVSIptablesRenderer().removal(.ipv6, listing: IptablesTableListing(save: Self.iptablesModeDump))
        let lines = Self.lines(input)
        #expect(input.family == .ipv6)
        #expect(lines.filter { $0.hasPrefix("-D ") }.count == 8)
        #expect(lines.contains("-X PROXYD-SVC-XPGD46QRK7WJZT7O"))
        #expect(lines.contains(":PROXYD-NODEPORTS - [0:0]") && !lines.contains("-X PROXYD-NODEPORTS"))
        #expect(IPVSIptablesRenderer().removal(.ipv6, listing: IptablesTableListing()).isEmpty)
    }

    @Test func theCanaryCheckOnlyChecks() {
        let check = IPVSIptablesRenderer.canaryCheck(.ipv4)
        #expect(check.text.split(separator: "\n").allSatisfy { $0.hasPrefix("*") || $0 == "COMMIT" || $0.hasPrefix("-C PROXYD-PROXY-CANARY ") })
        #expect(check.checks.count == 2)
    }

    // MARK: Golden

    /// Both families' input from nothing, reviewed by a human. Set UPDATE_GOLDEN=1 to rewrite it after a deliberate
    /// change, then review the diff.
    @Test func theRulesMatchTheReviewedRestoreInput() throws {
        let node6 = DesiredState.NodeSettings(nodePortAddresses: .allLocal, localTrafficDetector: .sourceCIDRs(["fd00:10:244::/56"]))
        let text = IPVSIptablesRenderer().render(.ipv4, node: Self.node, listing: IptablesTableListing()).input.text
            + IPVSIptablesRenderer().render(.ipv6, node: node6, listing: IptablesTableListing()).input.text
        try Golden.compare(text, file: "ipvs-rules.iptables")
    }
}
