/// Writes block-style YAML, one field per line.
struct YAMLWriter {
    var text = ""
    var indent = ""

    mutating func line(_ key: String, _ value: String) {
        text += "\(indent)\(key): \(value)\n"
    }

    mutating func line(_ key: String, quoted value: String?) {
        line(key, Self.quote(value ?? ""))
    }

    mutating func line(_ key: String, _ value: Bool?) {
        line(key, value.map { "\($0)" } ?? "false")
    }

    mutating func line(_ key: String, _ value: Int?) {
        line(key, value.map { "\($0)" } ?? "null")
    }

    mutating func line(_ key: String, _ value: Double?) {
        line(key, value.map { "\($0)" } ?? "0")
    }

    mutating func line(_ key: String, _ value: GoDuration?, nullWhenUnset: Bool = false) {
        line(key, value.map { "\($0)" } ?? (nullWhenUnset ? "null" : "0s"))
    }

    mutating func list(_ key: String, _ values: [String]?) {
        guard let values, !values.isEmpty else { return line(key, values == nil ? "null" : "[]") }
        text += "\(indent)\(key):\n"
        for value in values { text += "\(indent)- \(Self.quote(value))\n" }
    }

    mutating func map(_ key: String, _ values: [String: Bool]) {
        guard !values.isEmpty else { return line(key, "{}") }
        text += "\(indent)\(key):\n"
        for (name, value) in values.sorted(by: { $0.key < $1.key }) { text += "\(indent)  \(Self.quote(name)): \(value)\n" }
    }

    mutating func section(_ key: String, _ body: (inout YAMLWriter) -> Void) {
        text += "\(indent)\(key):\n"
        let outer = indent
        indent += "  "
        body(&self)
        indent = outer
    }

    /// A double-quoted YAML scalar; YAML's double-quoted escapes are JSON's.
    static func quote(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\t": result += "\\t"
            case "\r": result += "\\r"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    let hex = String(scalar.value, radix: 16, uppercase: true)
                    result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result + "\""
    }
}
