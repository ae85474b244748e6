import ProxyTesting

/// `ipvsadm -Ln` as an operator reads it, for comparing with what proxyd's netlink client listed.
enum Ipvsadm {
    /// The listing's lines with runs of spaces collapsed (`TCP 10.96.0.10:80 rr`,
    /// `-> 10.244.0.11:8080 Masq 1 0 0`), without the version and column headers.
    static func lines(_ output: String) -> [String] {
        output.split(separator: "\n").map { $0.split(separator: " ").joined(separator: " ") }
            .filter { !$0.hasPrefix("IP Virtual Server") && !$0.hasPrefix("Prot ") && !$0.hasPrefix("-> RemoteAddress") }
    }

    static func list(in namespace: ScratchNamespace, _ options: [String] = []) async throws -> [String] {
        lines(try await namespace.exec(["ipvsadm", "-Ln"] + options).requireSuccess().stdout)
    }

    static func list(in lab: NetworkLab, _ options: [String] = []) async throws -> [String] {
        lines(try await lab.exec(in: lab.node, ["ipvsadm", "-Ln"] + options).requireSuccess().stdout)
    }
}
