import ProxyTesting
import ServiceModel
import Testing

/// Parsing what the lab's tools print. Pure: no root needed.
struct LabParsingTests {
    @Test("conntrack -o extended: TCP with state, DNAT and masquerade")
    func conntrackTCPWithNAT() throws {
        let output = """
            ipv4     2 tcp      6 119 TIME_WAIT src=172.18.0.100 dst=172.18.0.2 sport=40000 dport=30080 \
            src=10.244.0.11 dst=10.244.0.1 sport=8080 dport=40000 [ASSURED] mark=16384 use=1

            """
        let entries = try ConntrackParser.parse(extendedOutput: output)
        let entry = try #require(entries.first)
        #expect(entries.count == 1)
        #expect(entry.family == .ipv4)
        #expect(entry.transportProtocol == .tcp)
        #expect(entry.state == "TIME_WAIT")
        #expect(entry.flags == ["ASSURED"])
        #expect(entry.mark == 0x4000)
        #expect(entry.original == ConntrackTuple(source: "172.18.0.100", destination: "172.18.0.2", sourcePort: 40000, destinationPort: 30080))
        #expect(entry.endpoint == IPSocketAddress(ip: "10.244.0.11", port: 8080))
        #expect(entry.reply.destination == "10.244.0.1")
        #expect(entry.isDestinationNATed)
        #expect(entry.isSourceNATed)
    }

    @Test("conntrack -o extended: UDP and IPv6 without NAT, unreplied, ICMP without ports")
    func conntrackOtherProtocols() throws {
        let output = """
            ipv6     10 udp      17 29 src=fd00:172:18::100 dst=fd00:10:244::11 sport=5000 dport=53 [UNREPLIED] \
            src=fd00:10:244::11 dst=fd00:172:18::100 sport=53 dport=5000 mark=0 use=1
            ipv4     2 icmp     1 29 src=10.244.0.11 dst=10.244.0.1 type=8 code=0 id=7 src=10.244.0.1 dst=10.244.0.11 type=0 code=0 id=7 mark=0 use=1
            """
        let entries = try ConntrackParser.parse(extendedOutput: output)
        #expect(entries.count == 2)
        #expect(entries[0].family == .ipv6)
        #expect(entries[0].state == nil)
        #expect(entries[0].flags == ["UNREPLIED"])
        #expect(!entries[0].isDestinationNATed && !entries[0].isSourceNATed)
        #expect(entries[1].protocolName == "icmp")
        #expect(entries[1].original.sourcePort == nil)
        #expect(entries[1].transportProtocol == nil)
    }

    @Test("conntrack output that is not a table is an error, not an empty list")
    func conntrackGarbage() throws {
        #expect(throws: LabError.self) { try ConntrackParser.parse(extendedOutput: "ipv4 2 tcp 6 119 ESTABLISHED src=1.2.3.4\n") }
        #expect(throws: LabError.self) { try ConntrackParser.parse(extendedOutput: "conntrack v1.4.7: something\n") }
        #expect(try ConntrackParser.parse(extendedOutput: "").isEmpty)
    }

    @Test("connect reports become typed outcomes", arguments: [
        (#"{"local":"172.18.0.100:40000","outcome":"reply","reply":"web-1 10.244.0.1:40000"}"#,
         ConnectionOutcome.reply(name: "web-1", peer: IPSocketAddress(ip: "10.244.0.1", port: 40000))),
        (#"{"local":"[fd00:172:18::100]:40000","outcome":"reply","reply":"web-1 [fd00:172:18::100]:40000"}"#,
         .reply(name: "web-1", peer: IPSocketAddress(ip: "fd00:172:18::100", port: 40000))),
        (#"{"error":"connect: Connection refused (errno 111)","local":"172.18.0.100:40000","outcome":"refused"}"#, .refused),
        (#"{"error":"no reply","local":"172.18.0.100:40000","outcome":"timeout"}"#, .timeout),
        (#"{"error":"No route to host","local":"0.0.0.0:40000","outcome":"unreachable"}"#, .unreachable),
        (#"{"error":"socket: Too many open files (errno 24)","outcome":"error"}"#, .error("socket: Too many open files (errno 24)")),
        (#"{"local":"172.18.0.2:40000","outcome":"reply","reply":"HTTP/1.1 200 OK"}"#, .error("reply \"HTTP/1.1 200 OK\" is not `NAME PEER_IP:PEER_PORT`")),
    ])
    func connectReports(line: String, expected: ConnectionOutcome) throws {
        #expect(try ConnectionAttempt(jsonLine: line).outcome == expected)
    }

    @Test("the local address is kept unless the kernel never chose one")
    func connectLocalAddress() throws {
        #expect(try ConnectionAttempt(jsonLine: #"{"local":"[fd00::1]:3","outcome":"timeout"}"#).local == IPSocketAddress(ip: "fd00::1", port: 3))
        #expect(try ConnectionAttempt(jsonLine: #"{"local":"0.0.0.0:3","outcome":"unreachable"}"#).local == nil)
        #expect(throws: LabError.self) { try ConnectionAttempt(jsonLine: #"{"outcome":"maybe"}"#) }
        #expect(throws: LabError.self) { try ConnectionAttempt(jsonLine: "Error: bad HOST") }
    }

    @Test("socket addresses: IPv6 needs brackets", arguments: [
        ("10.244.0.11:8080", IPSocketAddress(ip: "10.244.0.11", port: 8080)),
        ("[fd00:10:244::11]:8080", IPSocketAddress(ip: "fd00:10:244::11", port: 8080)),
        ("fd00:10:244::11:8080", nil),
        ("10.244.0.11", nil),
        ("[fd00::1]:70000", nil),
    ])
    func socketAddresses(text: String, expected: IPSocketAddress?) {
        #expect(IPSocketAddress(text) == expected)
        if let expected { #expect(expected.description == text) }
    }
}
