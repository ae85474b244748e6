import Foundation
import ProxyTesting
import ServiceModel

/// Runs the real `proxyd` binary inside a lab's node namespace, as an operator would.
enum ProxydInLab {
    static let clusterCIDRs = "\(LabTopology.clusterCIDRIPv4),\(LabTopology.clusterCIDRIPv6)"

    /// `proxyd --once` with the scenario's objects and flags; throws with proxyd's output if it fails.
    static func once(_ lab: NetworkLab, objects: [KubernetesObject], flags: [String] = []) async throws -> ExecResult {
        let directory = NSTemporaryDirectory() + "proxyd-objects-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try ScenarioRunner.writeObjects(objects, to: directory)
        return try await lab.exec(in: lab.node, command(["--once", "--objects", directory] + flags)).requireSuccess()
    }

    static func command(_ arguments: [String]) throws -> [String] {
        [try LabBinaries.path(of: "proxyd"), "--hostname-override", ServiceScenario.nodeName, "--cluster-cidr", clusterCIDRs] + arguments
    }
}
