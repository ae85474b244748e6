import ProxyTesting
import ServiceModel
import Testing

/// The scenario table against the real kernel in iptables mode: `proxyd --once --proxy-mode=iptables` programs a
/// lab node (the nft flavour, which auto-detection picks in a fresh namespace), real connections observe the
/// outcome. The legacy flavour runs the same table.
@Suite("iptables: every Service behaviour, packet by packet", .requiresRoot)
struct IptablesScenarioTests {
    @Test(arguments: ServiceScenarios.all(.iptables))
    func scenario(_ scenario: ServiceScenario) async throws {
        let failures = try await ScenarioRunner.run(scenario) { lab, scenario in
            _ = try await ProxydInLab.once(lab, objects: scenario.objects, flags: scenario.flags)
        }
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
    }

    @Test(arguments: ServiceScenarios.all(.iptables))
    func scenarioWithLegacyIptables(_ scenario: ServiceScenario) async throws {
        let failures = try await ScenarioRunner.run(scenario) { lab, scenario in
            _ = try await ProxydInLab.once(lab, objects: scenario.objects, flags: scenario.flags + ["--iptables-flavour", "legacy"])
            // The rules went where asked: legacy tables hold them, nf_tables none.
            let legacy = try await lab.exec(in: lab.node, ["iptables-legacy-save", "-t", "nat"]).requireSuccess().stdout
            #expect(legacy.contains(":PROXYD-SERVICES"), "no PROXYD-SERVICES in the legacy nat table")
        }
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
    }
}
