import Foundation
import ServiceModel

/// The field selectors the API server supports on every kind: `metadata.name` and `metadata.namespace`, with
/// `=`, `==` or `!=`, comma-separated.
public struct FieldSelector: Sendable, Hashable {
    public struct Requirement: Sendable, Hashable {
        public var field: String
        public var value: String
        public var negated: Bool
    }

    public var requirements: [Requirement]

    /// Parses the selector; nil for a malformed selector or an unsupported field (the server answers 400).
    public init?(_ text: String) {
        var requirements: [Requirement] = []
        for part in text.split(separator: ",") {
            let item = String(part)
            let negated = item.contains("!=")
            let separator = negated ? "!=" : (item.contains("==") ? "==" : "=")
            guard let range = item.range(of: separator) else { return nil }
            let field = String(item[..<range.lowerBound])
            guard ["metadata.name", "metadata.namespace"].contains(field) else { return nil }
            requirements.append(Requirement(field: field, value: String(item[range.upperBound...]), negated: negated))
        }
        self.requirements = requirements
    }

    public func matches(_ object: KubernetesObject) -> Bool {
        requirements.allSatisfy { requirement in
            let actual = requirement.field == "metadata.name" ? object.metadata.name : object.key.namespace
            return (actual == requirement.value) != requirement.negated
        }
    }
}
