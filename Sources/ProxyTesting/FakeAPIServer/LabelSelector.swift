/// A Kubernetes label selector in its string form, as the API server evaluates it: comma-separated
/// requirements, all of which must hold — `key`, `!key`, `key=value`, `key==value`, `key!=value`,
/// `key in (a,b)`, `key notin (a,b)`.
public struct LabelSelector: Sendable, Hashable {
    public enum Requirement: Sendable, Hashable {
        case exists(String)
        case doesNotExist(String)
        case equals(String, String)
        case notEquals(String, String)
        case `in`(String, Set<String>)
        case notIn(String, Set<String>)

        func matches(_ labels: [String: String]) -> Bool {
            switch self {
            case .exists(let key): labels[key] != nil
            case .doesNotExist(let key): labels[key] == nil
            case .equals(let key, let value): labels[key] == value
            case .notEquals(let key, let value): labels[key] != value
            case .in(let key, let values): labels[key].map(values.contains) ?? false
            case .notIn(let key, let values): labels[key].map { !values.contains($0) } ?? true
            }
        }
    }

    public var requirements: [Requirement]

    /// Parses the selector; nil when it is malformed (the server answers 400).
    public init?(_ text: String) {
        var requirements: [Requirement] = []
        for part in Self.splitTopLevel(text) {
            let item = part.trimmingCharacters(in: .whitespaces)
            if item.isEmpty { continue }
            if item.hasPrefix("!") {
                requirements.append(.doesNotExist(String(item.dropFirst()).trimmingCharacters(in: .whitespaces)))
            } else if let range = item.range(of: "!=") {
                requirements.append(.notEquals(Self.trim(item[..<range.lowerBound]), Self.trim(item[range.upperBound...])))
            } else if let range = item.range(of: "==") ?? item.range(of: "=") {
                requirements.append(.equals(Self.trim(item[..<range.lowerBound]), Self.trim(item[range.upperBound...])))
            } else if let range = item.range(of: " notin ") ?? item.range(of: " in ") {
                let key = Self.trim(item[..<range.lowerBound])
                var list = Self.trim(item[range.upperBound...])
                guard list.hasPrefix("("), list.hasSuffix(")") else { return nil }
                list = String(list.dropFirst().dropLast())
                let values = Set(list.split(separator: ",").map { Self.trim($0) })
                requirements.append(item.contains(" notin ") ? .notIn(key, values) : .in(key, values))
            } else if !item.contains(" ") {
                requirements.append(.exists(item))
            } else {
                return nil
            }
        }
        self.requirements = requirements
    }

    public func matches(_ labels: [String: String]?) -> Bool {
        let labels = labels ?? [:]
        return requirements.allSatisfy { $0.matches(labels) }
    }

    private static func trim(_ text: Substring) -> String { text.trimmingCharacters(in: .whitespaces) }

    /// Splits on commas outside parentheses.
    private static func splitTopLevel(_ text: String) -> [String] {
        var parts: [String] = []
        var current = ""
        var depth = 0
        for character in text {
            if character == "(" { depth += 1 }
            if character == ")" { depth -= 1 }
            if character == "," && depth == 0 {
                parts.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        parts.append(current)
        return parts
    }
}

import Foundation
