import Foundation
import ServiceModel
import Yams

/// The documents of `manifests/`, parsed: the subset of the DaemonSet and ConfigMap the tests look at, decoded as
/// the API server would read them.
enum Manifests {
    static let directory = ConfigurationFileTests.packageRoot.appendingPathComponent("manifests")

    /// The files holding Kubernetes objects (`kustomization.yaml` is kustomize's, not the API server's).
    static let objectFiles = ["rbac.yaml", "configmap.yaml", "daemonset.yaml", "install.yaml"]

    static func path(_ file: String) -> String { directory.appendingPathComponent(file).path }

    /// Writes `text` to `relativePath` under `directory`, creating the folders on the way; returns the file's path.
    @discardableResult
    static func write(_ text: String, to relativePath: String, in directory: String) throws -> String {
        let file = URL(fileURLWithPath: directory).appendingPathComponent(relativePath)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try text.write(to: file, atomically: true, encoding: .utf8)
        return file.path
    }

    /// Every YAML document of a file.
    static func documents(_ file: String) throws -> [Yams.Node] {
        Array(try Yams.compose_all(yaml: try String(contentsOfFile: path(file), encoding: .utf8)))
    }

    /// The one object of `kind` in a file, decoded.
    static func object<T: Decodable>(_ type: T.Type, kind: String, in file: String) throws -> T {
        let matching = try documents(file).filter { $0["kind"]?.string == kind }
        guard matching.count == 1 else { throw ManifestTestError("\(file) holds \(matching.count) objects of kind \(kind), expected 1") }
        return try YAMLDecoder().decode(T.self, from: matching[0])
    }

    static func daemonSet() throws -> DaemonSet { try object(DaemonSet.self, kind: "DaemonSet", in: "daemonset.yaml") }
    static func configMap() throws -> ConfigMap { try object(ConfigMap.self, kind: "ConfigMap", in: "configmap.yaml") }

    struct ConfigMap: Decodable {
        var metadata: Metadata
        var data: [String: String]
    }

    struct Metadata: Decodable {
        var name: String
        var namespace: String?
    }

    struct DaemonSet: Decodable {
        var metadata: Metadata
        var spec: Spec

        struct Spec: Decodable {
            var updateStrategy: UpdateStrategy
            var template: Template
        }

        struct UpdateStrategy: Decodable {
            var type: String
            var rollingUpdate: RollingUpdate?
        }

        struct RollingUpdate: Decodable {
            var maxUnavailable: IntOrString?
            var maxSurge: IntOrString?
        }

        struct Template: Decodable {
            var spec: PodSpec
        }

        struct PodSpec: Decodable {
            var serviceAccountName: String?
            var priorityClassName: String?
            var hostNetwork: Bool?
            var tolerations: [Toleration]?
            var containers: [Container]
            var volumes: [Volume]
        }

        struct Toleration: Decodable {
            var key: String?
            var `operator`: String?
            var effect: String?
        }

        struct Container: Decodable {
            var name: String
            var command: [String]?
            var args: [String]?
            var env: [EnvVar]?
            var ports: [Port]?
            var livenessProbe: Probe?
            var readinessProbe: Probe?
            var volumeMounts: [VolumeMount]?
        }

        struct EnvVar: Decodable {
            var name: String
            var value: String?
            var valueFrom: EnvVarSource?
        }

        struct EnvVarSource: Decodable {
            var fieldRef: FieldRef?
        }

        struct FieldRef: Decodable {
            var fieldPath: String
        }

        struct Port: Decodable {
            var name: String?
            var containerPort: Int
        }

        struct Probe: Decodable {
            var httpGet: HTTPGet?
        }

        struct HTTPGet: Decodable {
            var path: String
            var port: IntOrString
        }

        struct VolumeMount: Decodable {
            var name: String
            var mountPath: String
            var readOnly: Bool?
            var subPath: String?
        }

        struct Volume: Decodable {
            var name: String
            var configMap: ConfigMapVolume?
            var hostPath: HostPath?
        }

        struct ConfigMapVolume: Decodable {
            var name: String
            var items: [KeyToPath]?
        }

        struct KeyToPath: Decodable {
            var key: String
            var path: String
        }

        struct HostPath: Decodable {
            var path: String
            var type: String?
        }

        /// The proxyd container.
        func proxyd() throws -> Container {
            guard let container = spec.template.spec.containers.first(where: { $0.name == "proxyd" }) else {
                throw ManifestTestError("the DaemonSet has no container named proxyd")
            }
            return container
        }

        func volume(_ name: String) throws -> Volume {
            guard let volume = spec.template.spec.volumes.first(where: { $0.name == name }) else {
                throw ManifestTestError("the DaemonSet mounts volume \(name), which it does not define")
            }
            return volume
        }
    }
}

struct ManifestTestError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
