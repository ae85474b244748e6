import ArgumentParser

/// `proxyd-lab`: the small multi-tool that proxyd's kernel and end-to-end tests run inside lab network
/// namespaces (`ip netns exec NS proxyd-lab …`).
///
/// Every subcommand uses plain POSIX sockets, prints machine-readable lines on stdout and explains failures on
/// stderr. Long-running subcommands (`serve`, `forward`) print `ready` once listening, so a test awaits that line
/// instead of sleeping, and exit by themselves when their parent process dies, so a crashed test run leaves no
/// servers behind.
@main
struct ProxydLab: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "proxyd-lab",
        abstract: "Test servers and clients for proxyd's network-namespace lab.",
        discussion: """
            Run inside a lab namespace, e.g.:
              ip netns exec pxl-a1b2c3-pod-web-1 proxyd-lab serve --name web-1 --tcp 8080 --udp 5353
              ip netns exec pxl-a1b2c3-client proxyd-lab connect --tcp 172.18.0.2 30080 --count 20
            """,
        subcommands: [Serve.self, Connect.self, Forward.self]
    )
}
