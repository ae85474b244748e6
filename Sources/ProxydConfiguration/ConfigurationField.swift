/// One field of ``KubeProxyConfiguration`` (or one section of fields), declared once in
/// ``KubeProxyConfiguration/fields``: its YAML key, where it lives in the struct, its default, and how it is read
/// and written. The strict decoder, ``KubeProxyConfiguration/withDefaults()`` and ``KubeProxyConfiguration/yaml()``
/// walk that table; resolution against flags (``ResolvedOptions``) stays explicit, its checks being different for
/// each field.
struct ConfigurationField {
    /// The key in its mapping (`maxPerCore`; `conntrack` for a section).
    let key: String
    /// Reads the field from the mapping that holds it into the configuration.
    let read: (inout ConfigurationMapping, inout KubeProxyConfiguration) throws(ConfigurationError) -> Void
    /// Fills in the default in the result, from the configuration as given.
    let fillDefault: (_ given: KubeProxyConfiguration, _ result: inout KubeProxyConfiguration) -> Void
    /// Writes `key: value` (or the section) as `--write-config-to` does.
    let write: (KubeProxyConfiguration, inout YAMLWriter) -> Void
    /// The command-line flag that sets the field, by field path (`conntrack.maxPerCore`): a section's are its
    /// fields'. (``ConfigurationOrigin/flagNames``.)
    let flags: [String: String]

    /// How ``KubeProxyConfiguration/withDefaults()`` fills a field in (`pkg/proxy/apis/config/v1alpha1/defaults.go`).
    enum Default<Value> {
        /// nil becomes the value: fields that are pointers upstream, where 0 means something.
        case whenNil(Value)
        /// nil and the zero value (`""`, `0`, `0s`, empty) become the value.
        case whenNilOrZero(Value)
        /// Computed from the field's value and the configuration as given (which may leave it nil).
        case computed((Value?, KubeProxyConfiguration) -> Value?)
    }

    /// How a field still nil is written.
    enum WhenNil {
        /// As kube-proxy writes an unset value of the type (``ConfigurationValue/write(_:key:to:)``).
        case unset
        /// `null` (upstream pointers written unset).
        case null
        /// Not at all (proxyd's own `serviceProxyName`).
        case omitted
    }

    /// A field of type `Value` at `path`.
    ///
    /// - Parameters:
    ///   - read: how to read it when the type's strict reading is not the whole story (`logging.flushFrequency`).
    ///   - flag: the command-line flag that sets it, named in errors about it when proxyd reads flags.
    static func field<Value: ConfigurationValue>(
        _ key: String, _ path: WritableKeyPath<KubeProxyConfiguration, Value?>, _ defaultValue: Default<Value>,
        whenNil: WhenNil = .unset,
        read: ((String, inout ConfigurationMapping) throws(ConfigurationError) -> Value?)? = nil,
        flag: String? = nil
    ) -> ConfigurationField {
        ConfigurationField(
            key: key,
            read: { mapping, configuration throws(ConfigurationError) in
                if let read {
                    configuration[keyPath: path] = try read(key, &mapping)
                } else {
                    configuration[keyPath: path] = try Value.read(key, from: &mapping)
                }
            },
            fillDefault: { given, result in
                let value = given[keyPath: path]
                switch defaultValue {
                case .whenNil(let fallback): result[keyPath: path] = value ?? fallback
                case .whenNilOrZero(let fallback): result[keyPath: path] = value.flatMap { $0.isZero ? nil : $0 } ?? fallback
                case .computed(let compute): result[keyPath: path] = compute(value, given)
                }
            },
            write: { configuration, out in
                let value = configuration[keyPath: path]
                switch (value, whenNil) {
                case (nil, .null): out.line(key, "null")
                case (nil, .omitted): break
                default: Value.write(value, key: key, to: &out)
                }
            },
            flags: flag.map { [key: $0] } ?? [:])
    }

    /// A nested object (`conntrack`) holding `fields`; an absent or `null` section leaves them nil.
    ///
    /// - Parameter accepting: keys accepted with any value and otherwise ignored (`logging.vmodule`).
    static func section(_ key: String, accepting: [String] = [], _ fields: [ConfigurationField]) -> ConfigurationField {
        ConfigurationField(
            key: key,
            read: { mapping, configuration throws(ConfigurationError) in
                guard var section = try mapping.mapping(key) else { return }
                for field in fields { try field.read(&section, &configuration) }
                for key in accepting { section.accept(key) }
                try section.finish()
            },
            fillDefault: { given, result in
                for field in fields { field.fillDefault(given, &result) }
            },
            write: { configuration, out in
                out.section(key) { out in
                    for field in fields { field.write(configuration, &out) }
                }
            },
            flags: fields.reduce(into: [:]) { flags, field in
                for (path, flag) in field.flags { flags["\(key).\(path)"] = flag }
            })
    }
}
