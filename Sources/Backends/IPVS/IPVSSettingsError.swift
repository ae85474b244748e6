/// An IPVS setting (`--ipvs-scheduler`, `--ipvs-exclude-cidrs`, the `ipvs` section of the configuration file)
/// that proxyd cannot use: which field, the value as given, and what is wrong with it.
public struct IPVSSettingsError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The setting's name in the configuration file (`scheduler`, `excludeCIDRs[1]`).
    public var field: String
    public var value: String
    public var problem: String

    public init(field: String, value: String, problem: String) {
        self.field = field
        self.value = value
        self.problem = problem
    }

    public var description: String { "ipvs.\(field) \"\(value)\" \(problem)" }
}
