import ProxyTesting
import ServiceModel
import Testing

/// `proxyd --cleanup` in a lab namespace holding proxyd's iptables chains, ipsets and nftables tables next to
/// someone else's: proxyd's go, the others stay, and a second run still succeeds.
///
/// (This kernel has no IPVS and no dummy interfaces; `IPVSCleanupVMTests` covers those in a VM.)
@Suite("--cleanup against the kernel", .requiresRoot)
struct CleanupTests {
    static let nat = """
        *nat
        :PROXYD-SERVICES - [0:0]
        :PROXYD-SVC-DNS - [0:0]
        :OTHER-SERVICES - [0:0]
        -A PREROUTING -m comment --comment "proxyd service portals" -j PROXYD-SERVICES
        -A OUTPUT -j PROXYD-SERVICES
        -A PREROUTING -j OTHER-SERVICES
        -A PROXYD-SERVICES -p udp --dport 53 -j PROXYD-SVC-DNS
        -A PROXYD-SVC-DNS -j RETURN
        -A OTHER-SERVICES -j RETURN
        COMMIT
        """

    func save(_ lab: NetworkLab, _ command: String) async throws -> String {
        try await lab.exec(in: lab.node, [command]).requireSuccess().stdout
    }

    @Test func cleanupRemovesProxydsIptablesChainsIpsetsAndTablesAndNothingElse() async throws {
        try await NetworkLab.with(LabSpec(pods: [])) { lab in
            let node = lab.node
            for (name, type) in [("PROXYD-CLUSTER-IP", "hash:ip,port"), ("other-set", "hash:ip")] {
                try await lab.exec(in: node, ["ipset", "create", name, type]).requireSuccess()
            }
            let filter = """
                *filter
                :PROXYD-FIREWALL - [0:0]
                :OTHER-FIREWALL - [0:0]
                -A INPUT -m set --match-set PROXYD-CLUSTER-IP dst,dst -j PROXYD-FIREWALL
                -A INPUT -j OTHER-FIREWALL
                -A PROXYD-FIREWALL -j RETURN
                COMMIT
                """
            try await lab.exec(in: node, ["iptables-nft-restore", "--noflush"], input: Self.nat + "\n" + filter + "\n").requireSuccess()
            try await lab.exec(in: node, ["ip6tables-nft-restore", "--noflush"], input: Self.nat + "\n").requireSuccess()
            try await lab.exec(in: node, ["iptables-legacy-restore", "--noflush"], input: Self.nat + "\n").requireSuccess()
            try await lab.nft(in: node, "table ip proxyd {}\ntable ip6 proxyd {}\ntable inet someone-else {}\n")

            let first = try await lab.exec(in: node, try ProxydInLab.command(["--cleanup"])).requireSuccess()
            #expect(first.stderr.contains("nftables: removed table ip proxyd, table ip6 proxyd"), "\(first.stderr)")
            #expect(first.stderr.contains("iptables-nft (IPv4): removed chain nat/PROXYD-SERVICES"), "\(first.stderr)")
            #expect(first.stderr.contains("ipset: removed set PROXYD-CLUSTER-IP"), "\(first.stderr)")

            for command in ["iptables-nft-save", "ip6tables-nft-save", "iptables-legacy-save"] {
                let dump = try await save(lab, command)
                #expect(!dump.contains("PROXYD-"), "\(command) still shows proxyd's chains:\n\(dump)")
                #expect(dump.contains("-A PREROUTING -j OTHER-SERVICES"), "\(command) lost someone else's jump:\n\(dump)")
                #expect(dump.contains("-A OTHER-SERVICES -j RETURN"), "\(command) lost someone else's chain:\n\(dump)")
            }
            #expect(try await save(lab, "iptables-nft-save").contains("-A INPUT -j OTHER-FIREWALL"))
            let sets = try await lab.exec(in: node, ["ipset", "list", "-n"]).requireSuccess().stdout
            #expect(sets.split(separator: "\n") == ["other-set"])
            let tables = try await lab.exec(in: node, ["nft", "list", "tables"]).requireSuccess().stdout
            #expect(tables.split(separator: "\n").filter { $0.contains("proxyd") || $0.contains("someone-else") } == ["table inet someone-else"])

            // Nothing left: still exit 0, saying so per artefact.
            let second = try await lab.exec(in: node, try ProxydInLab.command(["--cleanup"])).requireSuccess()
            #expect(second.stderr.contains("nftables: nothing of proxyd's"), "\(second.stderr)")
            #expect(second.stderr.contains("iptables-nft (IPv4): nothing of proxyd's"), "\(second.stderr)")
            #expect(second.stderr.contains("ipset: nothing of proxyd's"), "\(second.stderr)")
            #expect(second.stderr.contains("IPVS: not available"), "\(second.stderr)")
            #expect(!second.stderr.contains("FAILED"), "\(second.stderr)")
        }
    }
}
