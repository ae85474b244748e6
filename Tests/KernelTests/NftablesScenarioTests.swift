import ProxyTesting
import ServiceModel
import Testing

/// The scenario table against the real kernel: `proxyd --once` programs a lab node, real connections observe
/// the outcome.
@Suite("nftables: every Service behaviour, packet by packet", .requiresRoot)
struct NftablesScenarioTests {
    @Test(arguments: ServiceScenarios.all(.nftables))
    func scenario(_ scenario: ServiceScenario) async throws {
        let failures = try await ScenarioRunner.run(scenario) { lab, scenario in
            _ = try await ProxydInLab.once(lab, objects: scenario.objects, flags: scenario.flags)
        }
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
    }
}
