/// A type that a field of ``KubeProxyConfiguration`` has: how the strict decoder reads it, how `--write-config-to`
/// writes it back, and what kube-proxy's zero value of it is.
protocol ConfigurationValue: Equatable {
    /// The value of `key` in `mapping`; nil when absent or `null`. Throws naming file, line and field when the
    /// value has another type.
    static func read(_ key: String, from mapping: inout ConfigurationMapping) throws(ConfigurationError) -> Self?
    /// Writes `key: value`; a nil value as kube-proxy writes an unset one (`""`, `false`, `null`, `0`, `0s`).
    static func write(_ value: Self?, key: String, to out: inout YAMLWriter)
    /// kube-proxy's zero value (`""`, `0`, `0s`, empty): for a field that is not a pointer upstream, the same as
    /// unset.
    var isZero: Bool { get }
}

extension String: ConfigurationValue {
    static func read(_ key: String, from mapping: inout ConfigurationMapping) throws(ConfigurationError) -> String? {
        try mapping.string(key)
    }
    static func write(_ value: String?, key: String, to out: inout YAMLWriter) { out.line(key, quoted: value) }
    var isZero: Bool { isEmpty }
}

extension Bool: ConfigurationValue {
    static func read(_ key: String, from mapping: inout ConfigurationMapping) throws(ConfigurationError) -> Bool? {
        try mapping.bool(key)
    }
    static func write(_ value: Bool?, key: String, to out: inout YAMLWriter) { out.line(key, value) }
    var isZero: Bool { !self }
}

extension Int: ConfigurationValue {
    static func read(_ key: String, from mapping: inout ConfigurationMapping) throws(ConfigurationError) -> Int? {
        try mapping.int(key)
    }
    static func write(_ value: Int?, key: String, to out: inout YAMLWriter) { out.line(key, value) }
    var isZero: Bool { self == 0 }
}

extension Double: ConfigurationValue {
    static func read(_ key: String, from mapping: inout ConfigurationMapping) throws(ConfigurationError) -> Double? {
        try mapping.double(key)
    }
    static func write(_ value: Double?, key: String, to out: inout YAMLWriter) { out.line(key, value) }
    var isZero: Bool { self == 0 }
}

extension GoDuration: ConfigurationValue {
    static func read(_ key: String, from mapping: inout ConfigurationMapping) throws(ConfigurationError) -> GoDuration? {
        try mapping.duration(key)
    }
    static func write(_ value: GoDuration?, key: String, to out: inout YAMLWriter) { out.line(key, value) }
    var isZero: Bool { duration == .zero }
}

/// A list of strings (`nodePortAddresses`, `ipvs.excludeCIDRs`).
extension Array: ConfigurationValue where Element == String {
    static func read(_ key: String, from mapping: inout ConfigurationMapping) throws(ConfigurationError) -> [String]? {
        try mapping.strings(key)
    }
    static func write(_ value: [String]?, key: String, to out: inout YAMLWriter) { out.list(key, value) }
    var isZero: Bool { isEmpty }
}

/// A map of names to booleans (`featureGates`).
extension Dictionary: ConfigurationValue where Key == String, Value == Bool {
    static func read(_ key: String, from mapping: inout ConfigurationMapping) throws(ConfigurationError) -> [String: Bool]? {
        try mapping.booleans(key)
    }
    static func write(_ value: [String: Bool]?, key: String, to out: inout YAMLWriter) { out.map(key, value ?? [:]) }
    var isZero: Bool { isEmpty }
}
