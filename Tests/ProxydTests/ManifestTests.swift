import Foundation
import Testing
import Yams

/// What `manifests/` grants and runs, checked against what proxyd does.
@Suite("manifests")
struct ManifestTests {
    struct Grant: Hashable, CustomStringConvertible {
        var group: String
        var resource: String
        var verb: String
        var description: String { "\(verb) \(group.isEmpty ? "" : group + "/")\(resource)" }
    }

    /// proxyd reads Services, EndpointSlices and its Node and writes nothing — no Events either (refused objects
    /// are reported in the log and in /metrics) — so its role grants exactly those reads.
    @Test func theClusterRoleGrantsOnlyTheReadsProxydMakes() throws {
        let path = ConfigurationFileTests.packageRoot.appendingPathComponent("manifests/rbac.yaml").path
        let documents = Array(try Yams.load_all(yaml: try String(contentsOfFile: path, encoding: .utf8)))
        let roles = documents.compactMap { $0 as? [String: Any] }.filter { $0["kind"] as? String == "ClusterRole" }
        #expect(roles.count == 1)
        var grants = Set<Grant>()
        for rule in (roles.first?["rules"] as? [[String: Any]]) ?? [] {
            for group in rule["apiGroups"] as? [String] ?? [] {
                for resource in rule["resources"] as? [String] ?? [] {
                    for verb in rule["verbs"] as? [String] ?? [] { grants.insert(Grant(group: group, resource: resource, verb: verb)) }
                }
            }
        }
        let expected: Set<Grant> = [
            Grant(group: "", resource: "services", verb: "list"), Grant(group: "", resource: "services", verb: "watch"),
            Grant(group: "discovery.k8s.io", resource: "endpointslices", verb: "list"),
            Grant(group: "discovery.k8s.io", resource: "endpointslices", verb: "watch"),
            Grant(group: "", resource: "nodes", verb: "get"), Grant(group: "", resource: "nodes", verb: "list"),
            Grant(group: "", resource: "nodes", verb: "watch"),
        ]
        #expect(grants.subtracting(expected).isEmpty, "granted beyond what proxyd reads: \(grants.subtracting(expected).sorted { $0.description < $1.description })")
        #expect(expected.subtracting(grants).isEmpty, "missing: \(expected.subtracting(grants))")
    }
}
