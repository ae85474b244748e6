import Foundation

/// A network namespace of its own for one check or test (`pxv-<random>`), with loopback up, deleted afterwards —
/// its interfaces, addresses and IPVS state go with it.
public struct ScratchNamespace: Sendable {
    public let name: String

    /// The path a `KernelThread` or driver enters (`/run/netns/NAME`).
    public var path: String { "/run/netns/\(name)" }

    /// Creates the namespace, runs `body`, and deletes the namespace on every exit path.
    public static func with<T: Sendable>(_ body: (ScratchNamespace) async throws -> T) async throws -> T {
        let namespace = ScratchNamespace(name: "pxv-" + String(UUID().uuidString.prefix(8)).lowercased())
        let ip = try SystemTool.ip.path()
        try await CommandRunner.run([ip, "netns", "add", namespace.name]).requireSuccess()
        do {
            try await namespace.exec(["ip", "link", "set", "lo", "up"]).requireSuccess()
            let result = try await body(namespace)
            try await CommandRunner.run([ip, "netns", "delete", namespace.name]).requireSuccess()
            return result
        } catch {
            _ = try? await CommandRunner.run([ip, "netns", "delete", namespace.name])
            throw error
        }
    }

    /// Runs a command inside the namespace to completion (`ip netns exec NAME command…`); `ip`, `ipvsadm`, `nft`
    /// and `conntrack` may be given by name.
    public func exec(_ command: [String], input: String? = nil) async throws -> ExecResult {
        var argv = command
        if let first = argv.first, !first.contains("/"), let tool = SystemTool(rawValue: first) { argv[0] = try tool.path() }
        return try await CommandRunner.run([try SystemTool.ip.path(), "netns", "exec", name] + argv, input: input)
    }
}
