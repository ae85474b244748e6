import ServiceModel

extension NetworkLab {
    /// Runs a command inside a host's namespace to completion (`ip netns exec NS command…`).
    ///
    /// `command[0]` may be a bare name (found through PATH inside `ip netns exec`; `ip`, `nft` and `conntrack` are
    /// resolved to their absolute paths first). A non-zero exit is a result, not an error: call
    /// ``ExecResult/requireSuccess()`` when it should be one.
    public func exec(in host: LabHost, _ command: [String], input: String? = nil) async throws -> ExecResult {
        try requireAlive()
        return try await CommandRunner.run(try netnsExec(host, command), input: input)
    }

    /// Starts a long-running command inside a host's namespace; if `readyLine` is given, returns once the command
    /// printed that line on stdout, else at once.
    ///
    /// The lab stops the process at teardown if the test has not stopped it before.
    ///
    /// - Throws: ``LabError/Code/processExited`` or ``LabError/Code/readyTimeout`` (with the process's stderr) if the
    ///   line does not come; the process is stopped then.
    @discardableResult
    public func start(
        in host: LabHost, _ command: [String], readyLine: String? = nil, readyTimeout: Duration = LabProcess.defaultLineTimeout
    ) async throws -> LabProcess {
        try requireAlive()
        let process = try await LabProcess.launch(host: host, command: command, argv: try netnsExec(host, command))
        try await register(process)
        if let readyLine {
            do {
                try await process.waitForLine(timeout: readyTimeout) { $0 == readyLine }
            } catch {
                await stop(process)
                throw error
            }
        }
        return process
    }

    /// Starts `proxyd-lab serve` in a host and waits until it listens.
    ///
    /// Every TCP connection and UDP datagram to the given ports (on every address of the host, IPv4 and IPv6,
    /// unless `bind` narrows it) is answered with `NAME PEER`, which ``connect(from:to:port:proto:timeout:source:)``
    /// turns into ``ConnectionOutcome/reply(name:peer:)``.
    ///
    /// - Parameter name: The name to answer with; the host's name by default.
    @discardableResult
    public func serve(in host: LabHost, name: String? = nil, tcp: [UInt16] = [], udp: [UInt16] = [], bind: IPAddress? = nil) async throws -> LabProcess {
        var command = [try LabBinaries.path(of: "proxyd-lab"), "serve", "--name", name ?? host.name]
        command += tcp.flatMap { ["--tcp", String($0)] } + udp.flatMap { ["--udp", String($0)] }
        if let bind { command += ["--bind", bind.description] }
        return try await start(in: host, command, readyLine: "ready")
    }

    /// Starts `proxyd-lab forward` in a host: TCP connections to `listen` there reach the Unix-domain socket
    /// `unixSocketPath` (a server of the test process in the root namespace). Returns once it listens.
    @discardableResult
    public func forward(in host: LabHost, listen: IPSocketAddress, toUnixSocket unixSocketPath: String) async throws -> LabProcess {
        let command = [try LabBinaries.path(of: "proxyd-lab"), "forward", "--listen", listen.description, "--unix", unixSocketPath]
        return try await start(in: host, command, readyLine: "ready")
    }

    /// Stops a process the lab started (SIGTERM, then SIGKILL after `gracePeriod`) and forgets it. Returns its
    /// exit status.
    @discardableResult
    public func stop(_ process: LabProcess, gracePeriod: Duration = LabProcess.stopGracePeriod) async -> ExecResult.Status? {
        let status = await process.stop(gracePeriod: gracePeriod)
        unregister(process)
        return status
    }

    /// `ip netns exec NS command…`, with known tools resolved to absolute paths.
    func netnsExec(_ host: LabHost, _ command: [String]) throws(LabError) -> [String] {
        guard let first = command.first else { throw LabError(.commandFailed, "empty command for \(host)") }
        guard topology.hosts.contains(host) else {
            throw LabError(.unknownHost, "\(host) is not a host of lab \(id)")
        }
        var resolved = command
        if !first.contains("/"), let tool = SystemTool(rawValue: first) {
            resolved[0] = try tool.path()
        }
        return [try SystemTool.ip.path(), "netns", "exec", host.namespace] + resolved
    }
}
