import Foundation
import Yams

/// The `--config` file, read: its path, the KubeProxyConfiguration it holds, and the line of each field (for
/// errors found after decoding, such as a CIDR that does not parse).
///
/// YAML and JSON are both read as YAML (JSON is YAML's flow style), so errors carry lines for both.
public struct ConfigurationFile: Sendable {
    public var path: String
    public var configuration: KubeProxyConfiguration
    /// Field path (`conntrack.maxPerCore`) → line of its value.
    public var lines: [String: Int]

    /// The largest configuration file proxyd reads (kube-proxy's are a few KB).
    public static let sizeLimit = 4 << 20

    /// Reads and decodes the file at `path`. A file that cannot be read is an error naming the flag, the path
    /// and the system's reason (`--config /etc: is a directory`).
    public static func read(path: String) throws(ConfigurationError) -> ConfigurationFile {
        let data: Data
        do throws(FileAccess.Failure) {
            data = try FileAccess.read(path, limit: sizeLimit)
        } catch {
            throw ConfigurationError(file: "--config \(path)", error.reason)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigurationError(file: path, "not UTF-8 text")
        }
        return try parse(text, file: path)
    }

    /// Decodes `text` (the contents of `file`): exactly one YAML or JSON document holding a KubeProxyConfiguration.
    public static func parse(_ text: String, file: String) throws(ConfigurationError) -> ConfigurationFile {
        var roots: [Yams.Node] = []
        do {
            let parser = try Yams.Parser(yaml: text)
            while let root = try parser.nextRoot() { roots.append(root) }
        } catch {
            throw syntaxError(error, file: file)
        }
        // A `---` with nothing after it is no document.
        roots.removeAll { ConfigurationMapping.isNull($0) }
        guard roots.count == 1, let root = roots.first else {
            throw ConfigurationError(
                file: file,
                roots.isEmpty ? "the file is empty; it must hold a \(KubeProxyConfiguration.kind)"
                    : "the file holds \(roots.count) documents; it must hold one \(KubeProxyConfiguration.kind)")
        }
        let configuration = try KubeProxyConfiguration(decoding: root, file: file)
        var lines: [String: Int] = [:]
        index(root, path: "", into: &lines)
        return ConfigurationFile(path: file, configuration: configuration, lines: lines)
    }

    private static func index(_ node: Yams.Node, path: String, into lines: inout [String: Int]) {
        guard case .mapping(let mapping) = node else { return }
        for (key, value) in mapping {
            guard let name = key.scalar?.string else { continue }
            let fieldPath = path.isEmpty ? name : "\(path).\(name)"
            if let line = value.mark?.line ?? key.mark?.line, lines[fieldPath] == nil { lines[fieldPath] = line }
            index(value, path: fieldPath, into: &lines)
        }
    }

    private static func syntaxError(_ error: any Error, file: String) -> ConfigurationError {
        if let yamlError = error as? YamlError {
            switch yamlError {
            case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
                .composer(let context, let problem, let mark, _):
                let prefix = context.map { "\($0.text) " } ?? ""
                return ConfigurationError(file: file, line: mark.line, "invalid YAML or JSON: \(prefix)\(problem)")
            case .duplicatedKeysInMapping(let duplicates, let context):
                return ConfigurationError(
                    file: file, line: context.mark.line, field: duplicates.sorted().joined(separator: ", "), "field given twice")
            default:
                break
            }
        }
        return ConfigurationError(file: file, "invalid YAML or JSON: \(error)")
    }
}
