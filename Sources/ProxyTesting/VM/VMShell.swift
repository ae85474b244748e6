/// Runs a shell script to completion in the calling process's namespaces (inside the VM: the VM's own root
/// namespace, which nothing else uses).
public enum VMShell {
    public static func run(_ script: String) async throws -> ExecResult {
        try await CommandRunner.run(["/bin/sh", "-c", script])
    }
}
