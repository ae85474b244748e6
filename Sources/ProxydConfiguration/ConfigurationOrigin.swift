import ArgumentParser

/// Where the effective configuration came from — the command line or a `--config` file — so that an error
/// names what the operator wrote: the flag (`--cluster-cidr "x" is not a CIDR`) or the file, line and field
/// (`config.yaml:7: clusterCIDR "x" is not a CIDR`).
public enum ConfigurationOrigin: Sendable, Equatable {
    /// The command line; `names` spells a field by the flag the operator typed where that is not the field table's
    /// (`nftables.syncPeriod` set by `--sync-period` rather than `--iptables-sync-period`).
    case flags(names: [String: String] = [:])
    /// The file, and the line of each field path in it.
    case file(path: String, lines: [String: Int])

    /// How the operator spells the field at `path` of KubeProxyConfiguration (`conntrack.maxPerCore`).
    public func name(_ path: String) -> String {
        switch self {
        case .flags(let names): names[path] ?? Self.flagNames[path] ?? path
        case .file: path
        }
    }

    /// An error about the field at `path`; `message` names the field with ``name(_:)``.
    public func error(_ path: String, _ message: String) -> any Error {
        switch self {
        case .flags: ValidationError(message)
        case .file(let file, let lines): ConfigurationError(file: file, line: lines[path], message)
        }
    }

    /// The flag that sets each field, when proxyd reads flags instead of a file (from the field table,
    /// ``KubeProxyConfiguration/fields``). The masquerade and sync-period flags set the section of the selected
    /// mode, as kube-proxy's do; `--sync-period` and `--min-sync-period`, which set it in every mode, are spelled by
    /// `flags(names:)` when given.
    public static let flagNames: [String: String] = KubeProxyConfiguration.fields.reduce(into: [:]) { names, field in
        names.merge(field.flags) { first, _ in first }
    }
}
