import Foundation
import ProxyTesting
import ServiceModel
import Subprocess
import Testing
import Yams

@testable import ProxydConfiguration
@testable import proxyd

#if canImport(System)
import System
#else
import SystemPackage
#endif

/// What `manifests/` installs: valid for the Kubernetes API (its schemas, offline), and consistent with what proxyd
/// reads, accepts and serves — checked with the real binary.
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

    // MARK: The Kubernetes API's schemas

    /// kubernetes-validate (PyPI; `make manifest-deps`) checks each object against the OpenAPI schemas of a Kubernetes
    /// release, bundled in the package, with unknown fields refused (`--strict`). The oldest and newest releases it
    /// bundles: the manifests use nothing newer than 1.25 (DaemonSet maxSurge).
    static let kubernetesVersions = ["1.25", "1.37"]

    @Test(arguments: Manifests.objectFiles, kubernetesVersions)
    func everyObjectPassesTheKubernetesAPISchema(file: String, version: String) async throws {
        let documents = try Manifests.documents(file).count
        let result = try await Self.validate(Manifests.path(file), version: version)
        #expect(result.status == .exited(0), "\(result)")
        // A kind without a schema is only a warning (exit 0): count that every object was really checked.
        let passed = result.stdout.split(separator: "\n").filter { $0.contains(" passed for resource ") }.count
        #expect(passed == documents, "\(documents) objects in \(file), \(passed) validated:\n\(result)")
    }

    /// The check is real: a misspelt field, a wrong type and a missing required field are each refused, naming it.
    @Test(arguments: [
        ("hostNetwork: true", "hostNetwrok: true", "'hostNetwrok' was unexpected"),
        ("containerPort: 10256", "containerPort: healthz-port", "'healthz-port' is not of type 'integer'"),
        ("  selector:\n    matchLabels:\n      k8s-app: proxyd\n", "", "'selector' is a required property"),
    ])
    func theSchemaCheckRefusesWhatTheAPIServerWould(original: String, broken: String, message: String) async throws {
        let manifest = try String(contentsOfFile: Manifests.path("daemonset.yaml"), encoding: .utf8)
        #expect(manifest.contains(original))
        try await ProxydConfigurationCommandTests.withDirectory { directory in
            let path = try Manifests.write(manifest.replacingOccurrences(of: original, with: broken), to: "daemonset.yaml", in: directory)
            let result = try await Self.validate(path, version: Self.kubernetesVersions[1])
            #expect(result.status != .exited(0), "\(result)")
            #expect((result.stdout + result.stderr).contains(message), "\(result)")
        }
    }

    /// `kubectl apply -k manifests/` and `kubectl apply -f manifests/install.yaml` install the same objects.
    @Test func installYamlHoldsExactlyTheKustomizationsResources() throws {
        struct Kustomization: Decodable { var resources: [String] }
        let kustomization = try YAMLDecoder().decode(
            Kustomization.self, from: try String(contentsOfFile: Manifests.path("kustomization.yaml"), encoding: .utf8))
        let parts = try kustomization.resources.flatMap { try Manifests.documents($0) }
        let install = try Manifests.documents("install.yaml")
        #expect(install == parts, "manifests/install.yaml differs from \(kustomization.resources): run `make manifests`")
        #expect(Set(kustomization.resources + ["install.yaml", "kustomization.yaml"]) == Set(try Self.yamlFiles()),
                "every manifest belongs to the kustomization")
    }

    // MARK: The DaemonSet and proxyd

    /// The DaemonSet's exact command, with the ConfigMap's files where the DaemonSet mounts them, is accepted by the
    /// built proxyd — flags and strict configuration parser — and means what the ConfigMap says.
    @Test func theDaemonSetsCommandIsAcceptedByProxydWithItsConfigMapMounted() async throws {
        let daemonSet = try Manifests.daemonSet()
        let container = try daemonSet.proxyd()
        let command = try #require(container.command) + (container.args ?? [])
        #expect(command.first == "/usr/local/bin/proxyd", "the Containerfile installs proxyd at /usr/local/bin/proxyd")

        try await ProxydConfigurationCommandTests.withDirectory { root in
            // Mount the ConfigMap volumes under a scratch root: the command's paths point there instead.
            var arguments = Array(command.dropFirst())
            for mount in container.volumeMounts ?? [] {
                guard let source = try daemonSet.volume(mount.name).configMap, source.name == "proxyd" else { continue }
                for (key, text) in try Manifests.configMap().data {
                    try Manifests.write(text, to: mount.mountPath + "/" + key, in: root)
                }
                arguments = arguments.map { $0.replacingOccurrences(of: mount.mountPath + "/", with: root + mount.mountPath + "/") }
            }
            // Kubernetes expands $(NODE_NAME) from the container's env (the downward API's spec.nodeName).
            for variable in container.env ?? [] where variable.valueFrom?.fieldRef?.fieldPath == "spec.nodeName" {
                arguments = arguments.map { $0.replacingOccurrences(of: "$(\(variable.name))", with: "node-a") }
            }
            #expect(!arguments.contains { $0.contains("$(") }, "\(arguments)")

            let effective = root + "/effective.yaml"
            let result = try await ProxydConfigurationCommandTests.proxyd(arguments + ["--write-config-to", effective])
            #expect(result.status == .exited(0), "\(result)")
            #expect(!result.stderr.contains("warning"), "\(result.stderr)")
            let written = try ConfigurationFile.read(path: effective).configuration
            #expect(written.hostnameOverride == "node-a")
            #expect(written.mode == "nftables")
            #expect(written.clientConnection.kubeconfig == "/var/lib/proxyd/kubeconfig")
            #expect(written.clusterCIDR == "10.244.0.0/16")
        }
    }

    /// kubelet probes the port proxyd serves /livez and /healthz on, as the ConfigMap's healthzBindAddress says.
    @Test func theProbesAskProxydsHealthAddress() throws {
        let configuration = try ConfigurationFile.parse(try #require(try Manifests.configMap().data["config.conf"]), file: "config.conf")
        let address = try #require(configuration.configuration.healthzBindAddress)
        let port = try #require(Int(address.split(separator: ":").last ?? ""))
        let container = try Manifests.daemonSet().proxyd()
        #expect(container.livenessProbe?.httpGet?.path == "/livez")
        #expect(container.readinessProbe?.httpGet?.path == "/healthz")
        #expect(container.livenessProbe?.httpGet?.port == .int(port))
        #expect(container.readinessProbe?.httpGet?.port == .int(port))
        #expect(container.ports?.map(\.containerPort) == [port])
    }

    /// What a node relies on: host networking, scheduled before ordinary pods and on every node whatever its taints,
    /// and updated one node at a time without a second pod that would fight over port 10256.
    @Test func theDaemonSetRunsOnEveryNodeOneUpdateAtATime() throws {
        let daemonSet = try Manifests.daemonSet()
        let pod = daemonSet.spec.template.spec
        #expect(daemonSet.metadata.namespace == "kube-system")
        #expect(pod.hostNetwork == true)
        #expect(pod.priorityClassName == "system-node-critical")
        #expect(pod.serviceAccountName == "proxyd")
        #expect(pod.tolerations?.contains { $0.operator == "Exists" && $0.key == nil && $0.effect == nil } == true)
        #expect(daemonSet.spec.updateStrategy.type == "RollingUpdate")
        #expect(daemonSet.spec.updateStrategy.rollingUpdate?.maxUnavailable == .int(1))
        #expect(daemonSet.spec.updateStrategy.rollingUpdate?.maxSurge == .int(0))
        let mounts = Dictionary(uniqueKeysWithValues: (try daemonSet.proxyd().volumeMounts ?? []).map { ($0.mountPath, $0) })
        #expect(try mounts["/lib/modules"].map { try daemonSet.volume($0.name).hostPath?.path } == "/lib/modules")
        #expect(mounts["/lib/modules"]?.readOnly == true)
        let lock = try #require(mounts["/run/xtables.lock"])
        #expect(try daemonSet.volume(lock.name).hostPath?.type == "FileOrCreate")
    }

    /// The shipped kubeconfig and mounts, for real: the DaemonSet's command in a mount namespace laid out as the
    /// pod's (the ConfigMap at its mount path, the cluster CA from `kube-root-ca.crt` where the DaemonSet mounts it,
    /// the service-account token where kubelet puts it) reads a TLS API server through the default transport,
    /// URLSession, verifying the server with that CA and authenticating with the token. Only `server` differs from
    /// the ConfigMap: it names the test's server, as an operator's edit names their control plane.
    @Test func theShippedKubeconfigReadsTheClusterOverURLSessionWithTheMountedClusterCA() async throws {
        let pki = try await TestCertificates.generate()
        defer { pki.remove() }
        let tls = FakeAPIServer.TLS(certificateFile: pki.serverCertificateFile, privateKeyFile: pki.serverKeyFile)
        try await FakeAPIServer.with(.init(tls: tls, bearerTokens: ["service-account-token"])) { server in
            try await server.put([
                .node(Fixtures.node("node-a")),
                .service(Fixtures.service("shop/web", clusterIP: "10.96.7.7")),
                .endpointSlice(Fixtures.slice("shop/web-1", service: "web", endpoints: [.ready("10.244.0.7", node: "node-a")])),
            ])
            let daemonSet = try Manifests.daemonSet()
            let container = try daemonSet.proxyd()
            let configMap = try Manifests.configMap()
            let kubeconfig = try #require(configMap.data["kubeconfig"])
            let shippedServer = try #require(kubeconfig.split(separator: "\n").first { $0.contains("server:") })
            #expect(!kubeconfig.contains("certificate-authority"), "URLSession cannot use a certificate-authority")
            #expect(!shippedServer.contains("10.96.0.1") && !shippedServer.contains("kubernetes.default"),
                    "proxyd must not reach the API server through the Service it programs")

            try await ProxydConfigurationCommandTests.withDirectory { root in
            var binds: [(source: String, target: String)] = []
            for mount in container.volumeMounts ?? [] {
                guard let source = try daemonSet.volume(mount.name).configMap else { continue }
                let data: [String: String]
                switch source.name {
                case "proxyd":
                    data = configMap.data.mapValues {
                        $0.replacingOccurrences(of: String(shippedServer), with: "    server: \(server.url.absoluteString)")
                    }
                case "kube-root-ca.crt": data = ["ca.crt": try String(contentsOfFile: pki.caFile, encoding: .utf8)]
                default: throw ManifestTestError("unexpected ConfigMap volume \(source.name)")
                }
                let items = source.items ?? data.keys.map { Manifests.DaemonSet.KeyToPath(key: $0, path: $0) }
                for item in items { try Manifests.write(try #require(data[item.key]), to: mount.name + "/" + item.path, in: root) }
                binds.append((root + "/" + mount.name, mount.mountPath))
            }
            // kubelet's service-account volume (automountServiceAccountToken).
            try Manifests.write("service-account-token", to: "serviceaccount/token", in: root)
            binds.append((root + "/serviceaccount", "/var/run/secrets/kubernetes.io/serviceaccount"))

            let command = try #require(container.command).map { $0.replacingOccurrences(of: "$(NODE_NAME)", with: "node-a") }
            let proxyd = [try LabBinaries.path(of: "proxyd")] + command.dropFirst() + ["--dry-run", "--output", "model"]
            // /var/lib and /var/run get an empty tmpfs (in the namespace only) so the pod's mount points can exist.
            let result = try await MountNamespace.run(proxyd, tmpfs: ["/var/lib", "/var/run"], bindMounts: binds)
            #expect(result.succeeded, "\(result)")
            #expect(result.stderr.contains("over urlsession"), "\(result.stderr)")
            #expect(result.stdout.contains("10.96.7.7") && result.stdout.contains("10.244.0.7"), "\(result.stdout)")
            }
        }
    }

    // MARK: Helpers

    static func validate(_ path: String, version: String) async throws -> ProxydConfigurationCommandTests.Result {
        let validator = try Self.validator()
        let result = try await Subprocess.run(
            .path(FilePath(validator)), arguments: ["--strict", "--kubernetes-version", version, path],
            output: .string(limit: 1 << 20), error: .string(limit: 1 << 20))
        return .init(status: result.terminationStatus, stdout: result.standardOutput, stderr: result.standardError)
    }

    static func validator() throws -> String {
        let path = ProcessInfo.processInfo.environment["PATH"]?.split(separator: ":").map(String.init) ?? []
        guard let found = path.map({ $0 + "/kubernetes-validate" }).first(where: FileManager.default.isExecutableFile(atPath:)) else {
            throw ManifestTestError("kubernetes-validate is not installed: `make manifest-deps` (pip install kubernetes-validate)")
        }
        return found
    }

    static func yamlFiles() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: Manifests.directory.path).filter { $0.hasSuffix(".yaml") }
    }
}
