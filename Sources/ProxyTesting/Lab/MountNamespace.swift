import Foundation

/// Runs a command in a private mount namespace of its own (`unshare --mount`, root), with files bind-mounted
/// over others first — e.g. a test CA bundle over `/etc/ssl/certs/ca-certificates.crt`, where libcurl (and so
/// URLSession on Linux) reads trusted CAs. The host's mounts are never touched.
public enum MountNamespace {
    /// Runs `command` (argv[0] absolute) after bind-mounting each `source` over its `target`.
    ///
    /// - Parameter tmpfs: Directories covered first with an empty tmpfs, visible only in the namespace, so that bind
    ///   targets which do not exist on the host (a pod's `/var/run/secrets/…`) can be created beneath them without
    ///   touching the host. A bind target under one of them is created: a directory for a directory source, else a
    ///   file.
    public static func run(
        _ command: [String], tmpfs: [String] = [], bindMounts: [(source: String, target: String)]
    ) async throws -> ExecResult {
        let unshare = try SystemTool.unshare.path()
        let mount = try SystemTool.mount.path()
        // sh -c 'mount … "$1" … && exec "$@"' with the paths as arguments: no quoting problems.
        var script = ""
        var arguments: [String] = []
        func argument(_ value: String) -> String {
            arguments.append(value)
            return "\"${\(arguments.count)}\""  // braces: "$10" would be "$1" followed by 0
        }
        for directory in tmpfs {
            script += "\(mount) -t tmpfs tmpfs \(argument(directory)) && "
        }
        for bind in bindMounts {
            let target = argument(bind.target)
            if tmpfs.contains(where: { bind.target.hasPrefix($0.hasSuffix("/") ? $0 : $0 + "/") }) {
                var isDirectory: ObjCBool = false
                _ = FileManager.default.fileExists(atPath: bind.source, isDirectory: &isDirectory)
                script += isDirectory.boolValue
                    ? "mkdir -p \(target) && " : "mkdir -p \"$(dirname \(target))\" && touch \(target) && "
            }
            script += "\(mount) --bind \(argument(bind.source)) \(target) && "
        }
        script += "shift \(arguments.count) && exec \"$@\""
        return try await CommandRunner.run(
            [unshare, "--mount", "--propagation", "private", "--", "/bin/sh", "-c", script, "sh"] + arguments + command)
    }
}
