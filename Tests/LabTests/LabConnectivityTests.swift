import ProxyTesting
import ServiceModel
import Testing

/// The topology is wired as documented, before any proxy rule exists.
@Suite(.requiresRoot)
struct LabConnectivityTests {
    @Test("every host reaches every pod directly, both families, and the pod sees the host's own address")
    func everyHostReachesEveryPod() async throws {
        try await NetworkLab.with(LabSpec(pods: ["a", "b"], remotePods: ["r"])) { lab in
            let pods = lab.pods + lab.remotePods
            for pod in pods { try await lab.serve(in: pod, tcp: [8080], udp: [8080]) }
            let sources = [lab.node, lab.client, try #require(lab.remoteNode)] + pods

            try await withThrowingTaskGroup(of: (String, ConnectionOutcome, LabHost).self) { group in
                for source in sources {
                    for pod in pods where pod != source {
                        for family in IPFamily.allCases {
                            for proto in [TransportProtocol.tcp, .udp] {
                                group.addTask {
                                    let outcome = try await lab.connect(from: source, to: pod.address(family), port: 8080, proto: proto)
                                    return ("\(source.name) → \(pod.name) \(family) \(proto)", outcome, pod)
                                }
                            }
                        }
                    }
                }
                var checked = 0
                for try await (what, outcome, pod) in group {
                    checked += 1
                    #expect(outcome.replyName == pod.name, "\(what): \(outcome)")
                    let peer = try #require(outcome.peer, "\(what)")
                    #expect(sources.contains { $0.addresses.contains(peer.ip) }, "\(what): peer \(peer) is no lab host's address")
                }
                #expect(checked == sources.count * pods.count * 4 - pods.count * 4)
            }
        }
    }

    @Test("a served port answers until the server is stopped; then the pod's kernel refuses")
    func serveUntilStopped() async throws {
        try await NetworkLab.with(LabSpec(pods: ["web-1"])) { lab in
            let web1 = try lab.pod("web-1")
            let server = try await lab.serve(in: web1, name: "first", tcp: [8080])
            #expect(try await lab.connect(from: lab.client, to: web1.ipv4, port: 8080).replyName == "first")

            let status = await lab.stop(server)
            #expect(status == .signaled(15), "serve ends on SIGTERM")
            #expect(try await lab.connect(from: lab.client, to: web1.ipv4, port: 8080) == .refused)
        }
    }

    @Test("a process that exits before `ready` fails start with its own error message")
    func startFailsWithTheProcessError() async throws {
        try await NetworkLab.with(LabSpec(pods: ["web-1"])) { lab in
            let web1 = try lab.pod("web-1")
            let tool = try LabBinaries.path(of: "proxyd-lab")
            do {
                try await lab.start(in: web1, [tool, "serve", "--name", "web-1"], readyLine: "ready")
                Issue.record("start should have failed: serve without ports exits at once")
            } catch let error as LabError {
                #expect(error.code == .processExited)
                #expect(error.message.contains("give at least one --tcp or --udp port"), "\(error)")
            }
        }
    }

    @Test("forward: a pod reaches a Unix-socket server of the test process through the node")
    func forwardToUnixSocket() async throws {
        let server = try UnixLineServer(reply: "hello from the test process")
        defer { server.stop() }
        try await NetworkLab.with(LabSpec(pods: ["web-1"])) { lab in
            let listen = IPSocketAddress(ip: lab.node.ipv4, port: 6443)
            try await lab.forward(in: lab.node, listen: listen, toUnixSocket: server.path)
            let attempt = try #require(try await lab.connectAttempts(from: try lab.pod("web-1"), to: listen.ip, port: listen.port).first)
            #expect(attempt.replyText == "hello from the test process")
        }
    }

    @Test("connect --source: the node sends from its secondary address, and the pod sees it")
    func connectFromSourceAddress() async throws {
        try await NetworkLab.with(LabSpec(pods: ["web-1"])) { lab in
            let web1 = try lab.pod("web-1")
            try await lab.serve(in: web1, tcp: [8080], udp: [8080])
            for (family, secondary) in [(IPFamily.ipv4, LabTopology.nodeSecondaryIPv4), (.ipv6, LabTopology.nodeSecondaryIPv6)] {
                for proto in [TransportProtocol.tcp, .udp] {
                    let attempts = try await lab.connectAttempts(from: lab.node, to: web1.address(family), port: 8080, proto: proto, source: secondary)
                    #expect(attempts.first?.outcome.peer?.ip == secondary, "\(family) \(proto)")
                    #expect(attempts.first?.local?.ip == secondary, "\(family) \(proto)")
                }
            }
        }
    }

    @Test("exec runs inside the namespace: the pod has exactly its lab addresses, forwarding only on the node")
    func execRunsInsideNamespace() async throws {
        try await NetworkLab.with(LabSpec(pods: ["web-1"])) { lab in
            let web1 = try lab.pod("web-1")
            let result = try await lab.exec(in: web1, ["ip", "-brief", "address", "show", "dev", "eth0"]).requireSuccess()
            #expect(result.stdout.contains("\(web1.ipv4)/32"))
            #expect(result.stdout.contains("\(web1.ipv6)/128"))
            let forwarding = ["cat", "/proc/sys/net/ipv4/ip_forward", "/proc/sys/net/ipv6/conf/all/forwarding"]
            #expect(try await lab.exec(in: lab.node, forwarding).requireSuccess().stdout == "1\n1\n")
            #expect(try await lab.exec(in: web1, forwarding).requireSuccess().stdout == "0\n0\n")
            let failed = try await lab.exec(in: web1, ["ip", "link", "show", "dev", "no-such-link"])
            #expect(!failed.succeeded)
            #expect(throws: LabError.self) { try failed.requireSuccess() }
        }
    }
}
