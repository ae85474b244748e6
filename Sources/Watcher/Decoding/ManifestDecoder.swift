import Foundation
import ServiceModel
import Yams

/// Decodes the Kubernetes objects in one manifest file: JSON (an object or a list) or YAML (one or more
/// documents, each an object or a list).
///
/// - Important: Never throws and never traps on bad input: every problem becomes a `ManifestError` naming the
///   file, the line where it is known, the object and the field.
public enum ManifestDecoder {
    /// The objects found, with the line each starts on (YAML), and the problems.
    public struct Result: Sendable {
        public var objects: [Located] = []
        public var errors: [ManifestError] = []
        public var ignoredKinds: [String] = []
    }

    public struct Located: Sendable {
        public var object: KubernetesObject
        public var file: String
        public var line: Int?
    }

    public static func decode(_ data: Data, file: String) -> Result {
        guard let text = String(data: data, encoding: .utf8) else {
            let place = JSONSyntaxError.find(in: data)
            return Result(errors: [ManifestError(file: file, line: place?.line, column: place?.column, message: "not UTF-8 text")])
        }
        let firstCharacter = text.first { !$0.isWhitespace }
        if firstCharacter == "{" || firstCharacter == "[" {
            return decodeJSON(data, file: file)
        }
        return decodeYAML(text, file: file)
    }

    static func decodeJSON(_ data: Data, file: String) -> Result {
        let document = ObjectDecoding.decodeJSON(data)
        var result = Result(ignoredKinds: document.ignoredKinds)
        result.objects = document.objects.map { Located(object: $0, file: file, line: nil) }
        result.errors = document.issues.map { issue in
            // A document that is not JSON at all: say where, which Foundation's decoder on Linux does not.
            if issue.object == nil, issue.fieldPath.isEmpty, let syntax = JSONSyntaxError.find(in: data) {
                return ManifestError(file: file, line: syntax.line, column: syntax.column, message: "invalid JSON: \(syntax.message)")
            }
            return ManifestError(file: file, message: jsonMessage(issue))
        }
        return result
    }

    static func decodeYAML(_ text: String, file: String) -> Result {
        var result = Result()
        // Parse every document before decoding any: a syntax error anywhere makes the whole file invalid, so
        // a half-written file is never mistaken for one that lost its later objects.
        var roots: [Yams.Node] = []
        do {
            let parser = try Yams.Parser(yaml: text)
            while let root = try parser.nextRoot() { roots.append(root) }
        } catch {
            result.errors.append(yamlSyntaxError(error, file: file))
            return result
        }
        for root in roots {
            // `---` followed by nothing, or a comment-only document.
            if case .scalar(let scalar) = root, ["", "~", "null"].contains(scalar.string) { continue }
            let document: DecodedDocument
            do {
                document = try YAMLDecoder().decode(KubernetesDocument.self, from: root).document
            } catch {
                let mark = root.mark
                result.errors.append(ManifestError(file: file, line: mark?.line, column: mark?.column, message: "\(error)"))
                continue
            }
            result.ignoredKinds += document.ignoredKinds
            let items = root["items"]?.sequence
            var objectIndex = 0
            for object in document.objects {
                // Items decode in order; find the node this object came from to report its line.
                let node: Yams.Node? = items == nil ? root : nextItem(items!, from: &objectIndex, matching: object)
                result.objects.append(Located(object: object, file: file, line: node?.mark?.line))
            }
            for issue in document.issues {
                var node: Yams.Node? = root
                if let index = issue.itemIndex, let items { node = index < items.count ? items[index] : nil }
                let target = node.map { deepestNode(in: $0, path: issue.fieldPath) } ?? root
                result.errors.append(
                    ManifestError(file: file, line: target.mark?.line, column: target.mark?.column, message: issue.description))
            }
        }
        return result
    }

    private static func nextItem(_ items: Yams.Node.Sequence, from index: inout Int, matching object: KubernetesObject) -> Yams.Node? {
        while index < items.count {
            let item = items[index]
            index += 1
            if item["metadata"]?["name"]?.string == object.metadata.name { return item }
        }
        return nil
    }

    /// The node at `path` (`spec.ports[0].port`), or the deepest one that exists along it.
    static func deepestNode(in root: Yams.Node, path: String) -> Yams.Node {
        var node = root
        for component in pathComponents(path) {
            let next: Yams.Node?
            switch component {
            case .key(let key): next = node[key]
            case .index(let index):
                if let sequence = node.sequence, index < sequence.count { next = sequence[index] } else { next = nil }
            }
            guard let next else { break }
            node = next
        }
        return node
    }

    enum PathComponent: Equatable {
        case key(String)
        case index(Int)
    }

    static func pathComponents(_ path: String) -> [PathComponent] {
        var components: [PathComponent] = []
        for part in path.split(separator: ".") {
            var rest = Substring(part)
            if let bracket = rest.firstIndex(of: "[") {
                let key = rest[..<bracket]
                if !key.isEmpty { components.append(.key(String(key))) }
                rest = rest[bracket...]
                while rest.hasPrefix("["), let close = rest.firstIndex(of: "]") {
                    if let index = Int(rest[rest.index(after: rest.startIndex)..<close]) { components.append(.index(index)) }
                    rest = rest[rest.index(after: close)...]
                }
            } else {
                components.append(.key(String(rest)))
            }
        }
        return components
    }

    private static func yamlSyntaxError(_ error: any Error, file: String) -> ManifestError {
        if let yamlError = error as? YamlError {
            switch yamlError {
            case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
                .composer(let context, let problem, let mark, _):
                let prefix = context.map { "\($0.text) " } ?? ""
                return ManifestError(file: file, line: mark.line, column: mark.column, message: "invalid YAML: \(prefix)\(problem)")
            default:
                break
            }
        }
        return ManifestError(file: file, message: "invalid YAML: \(error)")
    }

    /// Problems with the document as a whole read "invalid JSON: …"; those of one object name it and the field.
    private static func jsonMessage(_ issue: ObjectDecodingIssue) -> String {
        issue.object == nil && issue.fieldPath.isEmpty ? "invalid JSON: \(issue.message)" : issue.description
    }
}
