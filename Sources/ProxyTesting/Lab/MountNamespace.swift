/// Runs a command in a private mount namespace of its own (`unshare --mount`, root), with files bind-mounted
/// over others first — e.g. a test CA bundle over `/etc/ssl/certs/ca-certificates.crt`, where libcurl (and so
/// URLSession on Linux) reads trusted CAs. The host's mounts are never touched.
public enum MountNamespace {
    /// Runs `command` (argv[0] absolute) after bind-mounting each `source` over its `target`.
    public static func run(_ command: [String], bindMounts: [(source: String, target: String)]) async throws -> ExecResult {
        let unshare = try SystemTool.unshare.path()
        let mount = try SystemTool.mount.path()
        // sh -c 'mount --bind "$1" "$2" && … && exec "$@"' with the paths as arguments: no quoting problems.
        var script = ""
        var arguments: [String] = []
        for (index, bind) in bindMounts.enumerated() {
            script += "\(mount) --bind \"$\(2 * index + 1)\" \"$\(2 * index + 2)\" && "
            arguments += [bind.source, bind.target]
        }
        script += "shift \(arguments.count) && exec \"$@\""
        return try await CommandRunner.run(
            [unshare, "--mount", "--propagation", "private", "--", "/bin/sh", "-c", script, "sh"] + arguments + command)
    }
}
