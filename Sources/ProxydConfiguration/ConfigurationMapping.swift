import Yams

/// Reads one mapping of the configuration file strictly, as kube-proxy's strict decoder does: each field
/// must have its type, and ``finish()`` rejects every key that no one asked for, naming its path.
///
/// A field that is absent or `null` reads as nil. Scalars are typed by YAML's rules (JSON is read as YAML,
/// so both behave the same): `"30"` is a string, `30` an integer, `yes` a boolean.
struct ConfigurationMapping {
    let file: String
    /// The path of this mapping (`conntrack`); empty for the document itself.
    let path: String
    private let pairs: [(key: Yams.Node, value: Yams.Node)]
    private var read: Set<String> = []

    /// - Throws: when `node` is not a mapping.
    init(_ node: Yams.Node, path: String, file: String) throws(ConfigurationError) {
        guard case .mapping(let mapping) = node else {
            throw ConfigurationError(
                file: file, line: node.mark?.line, field: path.isEmpty ? nil : path,
                path.isEmpty ? "expected a KubeProxyConfiguration object, got \(Self.describe(node))"
                    : "expected an object, got \(Self.describe(node))")
        }
        self.file = file
        self.path = path
        self.pairs = mapping.map { ($0.key, $0.value) }
    }

    func fieldPath(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// The value of `key`; nil when absent or null. Marks the key as known.
    mutating func node(_ key: String) -> Yams.Node? {
        read.insert(key)
        guard let value = pairs.first(where: { $0.key.scalar?.string == key })?.value else { return nil }
        if Self.isNull(value) { return nil }
        return value
    }

    mutating func string(_ key: String) throws(ConfigurationError) -> String? {
        guard let node = node(key) else { return nil }
        return try Self.string(node, path: fieldPath(key), file: file)
    }

    mutating func bool(_ key: String) throws(ConfigurationError) -> Bool? {
        guard let node = node(key) else { return nil }
        guard Self.tag(of: node) == .bool, let value = node.bool else {
            throw typeError(node, key: key, expected: "true or false")
        }
        return value
    }

    mutating func int(_ key: String) throws(ConfigurationError) -> Int? {
        guard let node = node(key) else { return nil }
        guard Self.tag(of: node) == .int, let value = node.int else {
            throw typeError(node, key: key, expected: "an integer")
        }
        return value
    }

    mutating func double(_ key: String) throws(ConfigurationError) -> Double? {
        guard let node = node(key) else { return nil }
        let tag = Self.tag(of: node)
        guard tag == .int || tag == .float, let value = node.float, value.isFinite else {
            throw typeError(node, key: key, expected: "a number")
        }
        return value
    }

    /// A Go duration string (`30s`, `1m0s`, `500ms`), as `metav1.Duration` reads it.
    mutating func duration(_ key: String) throws(ConfigurationError) -> GoDuration? {
        guard let node = node(key) else { return nil }
        guard Self.tag(of: node) == .str, let text = node.string else {
            throw typeError(node, key: key, expected: "a duration such as 30s, 1m0s or 500ms")
        }
        do throws(GoDuration.ParseError) {
            return try GoDuration(parsing: text)
        } catch {
            let message = switch error {
            case .syntax: "\"\(text)\" is not a duration; write it as Go does, e.g. 30s, 1m0s, 1h30m or 500ms"
            case .outOfRange: "\"\(text)\" is out of range; a duration can be at most \(GoDuration.maximum) (Go's limit)"
            }
            throw ConfigurationError(file: file, line: node.mark?.line, field: fieldPath(key), message)
        }
    }

    mutating func strings(_ key: String) throws(ConfigurationError) -> [String]? {
        guard let node = node(key) else { return nil }
        guard case .sequence(let sequence) = node else {
            throw typeError(node, key: key, expected: "a list of strings")
        }
        var result: [String] = []
        for (index, item) in sequence.enumerated() {
            result.append(try Self.string(item, path: "\(fieldPath(key))[\(index)]", file: file))
        }
        return result
    }

    /// A map of names to booleans (`featureGates`).
    mutating func booleans(_ key: String) throws(ConfigurationError) -> [String: Bool]? {
        guard let node = node(key) else { return nil }
        guard case .mapping(let mapping) = node else {
            throw typeError(node, key: key, expected: "a map of names to true or false")
        }
        var result: [String: Bool] = [:]
        for (name, value) in mapping {
            let nameText = try Self.string(name, path: fieldPath(key), file: file)
            guard Self.tag(of: value) == .bool, let flag = value.bool else {
                throw ConfigurationError(
                    file: file, line: value.mark?.line, field: "\(fieldPath(key)).\(nameText)",
                    "expected true or false, got \(Self.describe(value))")
            }
            result[nameText] = flag
        }
        return result
    }

    /// A nested object; nil when absent or null.
    mutating func mapping(_ key: String) throws(ConfigurationError) -> ConfigurationMapping? {
        guard let node = node(key) else { return nil }
        return try ConfigurationMapping(node, path: fieldPath(key), file: file)
    }

    /// Accepts `key` with any value: for fields proxyd ignores whose shape it does not check.
    mutating func accept(_ key: String) {
        read.insert(key)
    }

    /// Rejects keys that were not read: unknown fields. (Yams's parser already rejects a key given twice.)
    func finish() throws(ConfigurationError) {
        for (key, _) in pairs {
            guard let name = key.scalar?.string else {
                throw ConfigurationError(file: file, line: key.mark?.line, field: path.isEmpty ? nil : path, "a field name must be a string")
            }
            if !read.contains(name) {
                var message = "unknown field"
                if let suggestion = Self.closest(to: name, among: read) { message += "; did you mean \(suggestion)?" }
                throw ConfigurationError(file: file, line: key.mark?.line, field: fieldPath(name), message)
            }
        }
    }

    private func typeError(_ node: Yams.Node, key: String, expected: String) -> ConfigurationError {
        ConfigurationError(file: file, line: node.mark?.line, field: fieldPath(key), "expected \(expected), got \(Self.describe(node))")
    }

    // MARK: - Scalars

    static func string(_ node: Yams.Node, path: String, file: String) throws(ConfigurationError) -> String {
        // Timestamps stay text, as Go's YAML-to-JSON conversion keeps them.
        guard case .scalar(let scalar) = node, tag(of: node) == .str || tag(of: node) == .timestamp else {
            let hint = node.scalar != nil ? " (quote it to make it a string)" : ""
            throw ConfigurationError(file: file, line: node.mark?.line, field: path, "expected a string, got \(describe(node))\(hint)")
        }
        return scalar.string
    }

    static func isNull(_ node: Yams.Node) -> Bool {
        tag(of: node) == .null
    }

    /// The node's resolved tag (`Tag.name` is internal to Yams; its raw value is not).
    static func tag(of node: Yams.Node) -> Tag.Name {
        Tag.Name(rawValue: node.tag.rawValue)
    }

    static func describe(_ node: Yams.Node) -> String {
        switch node {
        case .scalar(let scalar):
            let kind: String
            switch tag(of: node) {
            case .int: kind = "integer"
            case .float: kind = "number"
            case .bool: kind = "boolean"
            case .null: kind = "null"
            default: kind = "string"
            }
            return "\(kind) \(kind == "string" ? "\"\(scalar.string)\"" : scalar.string)"
        case .mapping: return "an object"
        case .sequence: return "a list"
        case .alias: return "an alias"
        }
    }

    /// The known field closest to a misspelt one (edit distance at most 2, or differing only in case).
    static func closest(to name: String, among candidates: Set<String>) -> String? {
        let scored = candidates.map { ($0, editDistance(name.lowercased(), $0.lowercased())) }
        guard let best = scored.min(by: { $0.1 < $1.1 || ($0.1 == $1.1 && $0.0 < $1.0) }), best.1 <= 2 else { return nil }
        return best.0
    }

    /// Optimal-string-alignment distance: insertions, deletions, substitutions and adjacent transpositions
    /// ("maxPerCoer" for "maxPerCore") cost one each.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        var d = Array(repeating: Array(repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { d[i][0] = i }
        for j in 0...b.count { d[0][j] = j }
        for i in stride(from: 1, through: a.count, by: 1) {
            for j in stride(from: 1, through: b.count, by: 1) {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                d[i][j] = Swift.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    d[i][j] = Swift.min(d[i][j], d[i - 2][j - 2] + 1)
                }
            }
        }
        return d[a.count][b.count]
    }
}
