import Backends
import ServiceModel
import Testing

/// The bytes proxyd sends to IPVS and to rtnetlink, and how it reads the kernel's answers — without a kernel.
/// Expected bytes are written out by hand from `include/uapi/linux/ip_vs.h` (and `rtnetlink.h`, `if_addr.h`):
/// attribute = length (u16), type (u16), payload padded to 4; nested attributes carry NLA_F_NESTED (0x8000).
/// Integers are little-endian (x86-64, arm64), ports big-endian.
@Suite("IPVS and rtnetlink encoding")
struct IPVSEncodingTests {
    /// "06 00 01 00" → bytes; spaces and newlines are ignored.
    static func hex(_ text: String) -> [UInt8] {
        let digits = text.filter(\.isHexDigit)
        return stride(from: 0, to: digits.count, by: 2).map { offset in
            let start = digits.index(digits.startIndex, offsetBy: offset)
            return UInt8(digits[start...digits.index(after: start)], radix: 16)!
        }
    }

    static let webV4 = IPVSVirtualService("10.96.0.10", .tcp, 80)
    static let webV6 = IPVSVirtualService("fd00::10", .tcp, 443)

    /// AF, PROTOCOL, ADDR, PORT of TCP 10.96.0.10:80 (44 bytes).
    static let identityV4 = """
        06 00 01 00 02 00 00 00
        06 00 02 00 06 00 00 00
        14 00 03 00 0a 60 00 0a 00 00 00 00 00 00 00 00 00 00 00 00
        06 00 04 00 00 50 00 00
        """

    @Test func addingAnIPv4VirtualServerSendsIdentitySchedulerFlagsWithFullMaskTimeoutAndNetmask() {
        let request = IPVSRequest.addVirtualServer(IPVSVirtualServer("10.96.0.10", .tcp, 80, scheduler: .roundRobin))
        #expect(request.command == .newService)
        #expect(!request.isDump)
        #expect(request.body == Self.hex("""
            01 01 00 00
            54 00 01 80
            \(Self.identityV4)
            07 00 06 00 72 72 00 00
            0c 00 07 00 00 00 00 00 ff ff ff ff
            08 00 08 00 00 00 00 00
            08 00 09 00 ff ff ff ff
            """))
    }

    @Test func settingTheTimeoutsSendsSetConfigWithAllThreeAsTopLevelU32Seconds() {
        let request = IPVSRequest.setTimeouts(IPVSTimeouts(tcp: 900, tcpFin: 0, udp: 300))
        #expect(request.command == .setConfig && request.command.rawValue == 12)
        #expect(!request.isDump)
        // IPVS_CMD_SET_CONFIG (12), version 1; TIMEOUT_TCP (4), TIMEOUT_TCP_FIN (5, 0: the kernel's stays),
        // TIMEOUT_UDP (6).
        #expect(request.body == Self.hex("""
            0c 01 00 00
            08 00 04 00 84 03 00 00
            08 00 05 00 00 00 00 00
            08 00 06 00 2c 01 00 00
            """))
    }

    @Test func timeoutsComeFromTheSettingsInWholeSecondsAndAreNilWhenAllLeaveTheKernels() {
        #expect(IPVSTimeouts(IPVSSettings()) == nil)
        #expect(IPVSTimeouts(IPVSSettings(tcpTimeout: .zero, tcpFinTimeout: nil, udpTimeout: .milliseconds(900))) == nil)
        let timeouts = IPVSTimeouts(IPVSSettings(tcpTimeout: .seconds(900), tcpFinTimeout: .milliseconds(120_999), udpTimeout: nil))
        #expect(timeouts == IPVSTimeouts(tcp: 900, tcpFin: 120, udp: 0))
        #expect(timeouts?.description == "ipvsadm --set 900 120 0")
    }

    @Test func aPersistentIPv6VirtualServerCarriesTheTimeoutThePersistentFlagAndNetmask128() {
        let server = IPVSVirtualServer("fd00::10", .tcp, 443, scheduler: IPVSScheduler(kernelName: "wrr"), persistence: 10800)
        #expect(IPVSRequest.updateVirtualServer(server).body == Self.hex("""
            02 01 00 00
            54 00 01 80
            06 00 01 00 0a 00 00 00
            06 00 02 00 06 00 00 00
            14 00 03 00 fd 00 00 00 00 00 00 00 00 00 00 00 00 00 00 10
            06 00 04 00 01 bb 00 00
            08 00 06 00 77 72 72 00
            0c 00 07 00 01 00 00 00 ff ff ff ff
            08 00 08 00 30 2a 00 00
            08 00 09 00 80 00 00 00
            """))
    }

    @Test func theMaglevSchedulerSetsItsPortFlagAsKubeProxyDoes() {
        let server = IPVSVirtualServer("10.96.0.10", .udp, 53, scheduler: IPVSScheduler(kernelName: "mh"))
        #expect(server.flags == .schedulerFlag2)
        let body = IPVSRequest.addVirtualServer(server).body
        #expect(body.count == 84 + 4)
        // FLAGS: flags 0x10, mask all ones.
        #expect(Array(body[60..<72]) == Self.hex("0c 00 07 00 10 00 00 00 ff ff ff ff"))
    }

    @Test func deletingAVirtualServerNamesItByIdentityOnly() {
        #expect(IPVSRequest.deleteVirtualServer(Self.webV4).body == Self.hex("03 01 00 00  30 00 01 80 \(Self.identityV4)"))
        // A firewall-mark service: AF, then FWMARK.
        let mark = IPVSVirtualService(address: nil, protocolNumber: 0, port: 0, firewallMark: 7)
        #expect(IPVSRequest.deleteVirtualServer(mark).body == Self.hex("""
            03 01 00 00  14 00 01 80  06 00 01 00 02 00 00 00  08 00 05 00 07 00 00 00
            """))
    }

    @Test func addingARealServerNamesItsVirtualServerAndSendsMasqueradeWeightAndThresholds() {
        let realServer = IPVSRealServer(address: "10.244.0.11", port: 8080)
        #expect(IPVSRequest.addRealServer(realServer, to: Self.webV4).body == Self.hex("""
            05 01 00 00
            30 00 01 80 \(Self.identityV4)
            48 00 02 80
            06 00 0b 00 02 00 00 00
            14 00 01 00 0a f4 00 0b 00 00 00 00 00 00 00 00 00 00 00 00
            06 00 02 00 1f 90 00 00
            08 00 03 00 00 00 00 00
            08 00 04 00 01 00 00 00
            08 00 05 00 00 00 00 00
            08 00 06 00 00 00 00 00
            """))
    }

    @Test func drainingSetsWeightZeroAndDeletingARealServerSendsItsAddressAndPortOnly() {
        let drained = IPVSRealServer(address: "10.244.0.11", port: 8080, weight: 0, upperThreshold: 5, lowerThreshold: 2)
        let update = IPVSRequest.updateRealServer(drained, of: Self.webV4).body
        #expect(update.prefix(4) == [6, 1, 0, 0])
        #expect(Array(update.suffix(32)) == Self.hex("""
            08 00 03 00 00 00 00 00  08 00 04 00 00 00 00 00  08 00 05 00 05 00 00 00  08 00 06 00 02 00 00 00
            """))
        #expect(IPVSRequest.deleteRealServer(drained.id, of: Self.webV4).body == Self.hex("""
            07 01 00 00
            30 00 01 80 \(Self.identityV4)
            28 00 02 80
            06 00 0b 00 02 00 00 00
            14 00 01 00 0a f4 00 0b 00 00 00 00 00 00 00 00 00 00 00 00
            06 00 02 00 1f 90 00 00
            """))
    }

    @Test func listingsAreDumpsAndTheRealServerListingNamesItsVirtualServer() {
        #expect(IPVSRequest.listVirtualServers.isDump)
        #expect(IPVSRequest.listVirtualServers.body == [4, 1, 0, 0])
        let list = IPVSRequest.listRealServers(of: Self.webV4)
        #expect(list.isDump)
        #expect(list.body == Self.hex("08 01 00 00  30 00 01 80 \(Self.identityV4)"))
    }

    // MARK: reading answers

    @Test func aListedVirtualServerIsReadBackWithTheKernelsHashedFlagAndUnknownAttributesSkipped() throws {
        let body = Self.hex("""
            01 01 00 00
            68 00 01 80
            06 00 01 00 0a 00 00 00
            06 00 02 00 11 00 00 00
            14 00 03 00 fd 00 00 00 00 00 00 00 00 00 00 00 00 00 00 10
            06 00 04 00 00 35 00 00
            07 00 06 00 73 68 00 00
            0c 00 07 00 03 00 00 00 ff ff ff ff
            08 00 08 00 2c 01 00 00
            08 00 09 00 80 00 00 00
            14 00 0a 80 08 00 01 00 05 00 00 00 08 00 02 00 09 00 00 00
            """)
        let server = try IPVSReply.virtualServer(from: body)
        #expect(server.service == IPVSVirtualService("fd00::10", .udp, 53))
        #expect(server.scheduler.name == "sh")
        #expect(server.flags == [.persistent, .hashed])
        #expect(server.timeout == 300)
        #expect(server.netmask == 128)
        #expect(server.hasSameSettings(as: IPVSVirtualServer("fd00::10", .udp, 53, scheduler: IPVSScheduler(kernelName: "sh"), persistence: 300)))
    }

    @Test func aListedRealServerCarriesItsConnectionCounts() throws {
        let body = Self.hex("""
            01 01 00 00
            60 00 02 80
            14 00 01 00 0a f4 00 0b 00 00 00 00 00 00 00 00 00 00 00 00
            06 00 02 00 1f 90 00 00
            08 00 03 00 00 00 00 00
            08 00 04 00 00 00 00 00
            08 00 05 00 00 00 00 00
            08 00 06 00 00 00 00 00
            08 00 07 00 02 00 00 00
            08 00 08 00 05 00 00 00
            08 00 09 00 01 00 00 00
            06 00 0b 00 02 00 00 00
            """)
        let status = try IPVSReply.realServer(from: body, family: .ipv4)
        #expect(status.realServer == IPVSRealServer(address: "10.244.0.11", port: 8080, weight: 0))
        #expect(status.connections == IPVSConnectionCounts(active: 2, inactive: 5, persistent: 1))
        #expect(!status.connections.isIdle)
    }

    @Test(arguments: [
        ("01 01 00 00", "without the virtual server attribute"),
        ("01 01", "2-byte message"),
        ("01 01 00 00  30 00 01 80  06 00 01 00", "has length 48"),  // the nest claims more than was sent
        ("01 01 00 00  0c 00 01 80  06 00 01 00 02 00 00 00", "without IPVS_SVC_ATTR_ADDR"),
        ("01 01 00 00  18 00 01 80  06 00 01 00 07 00 00 00  0c 00 03 00 01 02 03 04 05 06 07 08", "address family 7"),
    ])
    func aMalformedAnswerIsAnErrorNamingWhatIsWrong(body: String, expected: String) {
        #expect {
            _ = try IPVSReply.virtualServer(from: Self.hex(body))
        } throws: { error in
            (error as? IPVSError).map { $0.code == .malformedAnswer && $0.message.contains(expected) } ?? false
        }
    }

    // MARK: rtnetlink

    @Test func theDummyInterfaceIsCreatedDownWithItsNameAndKind() {
        let request = RouteNetlinkRequest.addDummyLink(named: ProxydNames.ipvsInterface)
        #expect(request.type == 16)  // RTM_NEWLINK
        #expect(request.flags == 0x600)  // NLM_F_CREATE | NLM_F_EXCL
        #expect(request.body == Self.hex("""
            00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
            11 00 03 00 70 72 6f 78 79 64 2d 69 70 76 73 30 00 00 00 00
            10 00 12 80 0a 00 01 00 64 75 6d 6d 79 00 00 00
            """))
    }

    @Test func addressesAreBoundAsHostAddressesIPv6WithoutDuplicateAddressDetection() {
        let v4 = RouteNetlinkRequest.addAddress("10.96.0.10", interfaceIndex: 7)
        #expect(v4.type == 20)  // RTM_NEWADDR
        #expect(v4.flags == 0x500)  // NLM_F_CREATE | NLM_F_REPLACE: binding a bound address succeeds
        #expect(v4.body == Self.hex("02 20 00 00 07 00 00 00  08 00 02 00 0a 60 00 0a  08 00 01 00 0a 60 00 0a"))
        let v6 = RouteNetlinkRequest.deleteAddress("fd00::10", interfaceIndex: 300)
        #expect(v6.type == 21)  // RTM_DELADDR
        #expect(v6.body == Self.hex("""
            0a 80 02 00 2c 01 00 00
            14 00 02 00 fd 00 00 00 00 00 00 00 00 00 00 00 00 00 00 10
            14 00 01 00 fd 00 00 00 00 00 00 00 00 00 00 00 00 00 00 10
            """))
    }

    // MARK: what operations print

    @Test(arguments: [(IPVSOperation, String)]([
        (.addVirtualServer(IPVSVirtualServer("10.96.0.10", .tcp, 80, scheduler: .roundRobin)), "-A -t 10.96.0.10:80 -s rr"),
        (.updateVirtualServer(IPVSVirtualServer("fd00::10", .udp, 53, scheduler: IPVSScheduler(kernelName: "mh"), persistence: 60)),
         "-E -u [fd00::10]:53 -s mh -p 60 -b flag-2"),
        (.addRealServer(IPVSVirtualService("10.96.0.10", .sctp, 9), IPVSRealServer(address: "10.244.0.11", port: 9)),
         "-a --sctp-service 10.96.0.10:9 -r 10.244.0.11:9 -m -w 1"),
        (.drainRealServer(IPVSEncodingTests.webV4, IPVSRealServer(address: "10.244.0.11", port: 8080, weight: 0)), "-e -t 10.96.0.10:80 -r 10.244.0.11:8080 -m -w 0"),
        (.deleteRealServer(IPVSEncodingTests.webV6, IPVSRealServer.ID("fd00::11", 8443)), "-d -t [fd00::10]:443 -r [fd00::11]:8443"),
        (.deleteVirtualServer(IPVSEncodingTests.webV4), "-D -t 10.96.0.10:80"),
        (.bindAddress("10.96.0.10"), "ip addr add 10.96.0.10/32 dev proxyd-ipvs0"),
        (.unbindAddress("fd00::10"), "ip addr del fd00::10/128 dev proxyd-ipvs0"),
    ]))
    func operationsPrintAsIpvsadmAndIpCommands(operation: IPVSOperation, text: String) {
        #expect(operation.description == text)
    }
}
