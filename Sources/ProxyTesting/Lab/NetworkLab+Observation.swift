import ServiceModel

extension NetworkLab {
    /// The deadline ``connect(from:to:port:proto:timeout:source:)`` uses unless told otherwise.
    ///
    /// Generous, because it only costs time when no answer comes; tests that *expect* a drop pass a short one.
    public static let defaultConnectTimeout: Duration = .seconds(1)

    /// Connects once from a host to `address:port` with `proxyd-lab connect` and says what the client saw.
    public func connect(
        from host: LabHost, to address: IPAddress, port: UInt16, proto: TransportProtocol = .tcp,
        timeout: Duration = defaultConnectTimeout, source: IPAddress? = nil
    ) async throws -> ConnectionOutcome {
        try await connectAttempts(from: host, to: address, port: port, proto: proto, count: 1, timeout: timeout, source: source)[0].outcome
    }

    /// Makes `count` fresh connections (each from a source port no earlier attempt used, so each is a new
    /// conntrack entry and a new load-balancing decision) and returns every attempt with its local address.
    public func connectAttempts(
        from host: LabHost, to address: IPAddress, port: UInt16, proto: TransportProtocol = .tcp, count: Int = 1,
        timeout: Duration = defaultConnectTimeout, source: IPAddress? = nil
    ) async throws -> [ConnectionAttempt] {
        guard proto != .sctp else {
            throw LabError(.commandFailed, "proxyd-lab connect speaks TCP and UDP only (this kernel has no SCTP module)")
        }
        let milliseconds = max(1, Int(timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000))
        var command = [
            try LabBinaries.path(of: "proxyd-lab"), "connect", "--\(proto.netfilterName)", address.description, String(port),
            "--timeout-ms", String(milliseconds), "--count", String(count),
        ]
        if let source { command += ["--source", source.description] }
        let result = try await exec(in: host, command).requireSuccess()
        let lines = result.stdout.split(whereSeparator: \.isNewline)
        guard lines.count == count else {
            throw LabError(.unexpectedOutput, "\(result.description) printed \(lines.count) reports for \(count) attempts")
        }
        return try lines.map { line throws(LabError) in try ConnectionAttempt(jsonLine: line) }
    }

    /// The conntrack table of a host's namespace (usually the node's).
    ///
    /// - Note: A namespace tracks connections only once something there needs conntrack (a NAT statement or a
    ///   `ct` expression); before that the table is empty.
    public func conntrackEntries(in host: LabHost) async throws -> [ConntrackEntry] {
        let result = try await exec(in: host, ["conntrack", "-L", "-o", "extended"]).requireSuccess()
        return try ConntrackParser.parse(extendedOutput: result.stdout)
    }

    /// Empties the conntrack table of a host's namespace (both families).
    public func flushConntrack(in host: LabHost) async throws {
        try await exec(in: host, ["conntrack", "-F"]).requireSuccess()
    }

    /// Applies an nftables script in a host's namespace (`nft -f -`: one atomic transaction).
    ///
    /// For tests of the lab itself and for setting the scene; proxyd's own rules go through proxyd's driver.
    public func nft(in host: LabHost, _ script: String) async throws {
        try await exec(in: host, ["nft", "-f", "-"], input: script).requireSuccess()
    }
}
