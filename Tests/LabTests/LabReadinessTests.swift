import Foundation
import ServiceModel
import Testing

@testable import ProxyTesting

/// Judging from `ip -j` dumps whether a namespace can take its first packet. Pure: no root needed.
struct LabReadinessTests {
    let assignment = LabReadiness.IPv6Assignment(interface: "eth0", address: IPv6Address("fd00:172:18::2")!)

    static func links(operstate: String = "UP", qdisc: String = "noqueue", bridgePortState: String? = nil) -> Data {
        let slave = bridgePortState.map { #","linkinfo":{"info_slave_kind":"bridge","info_slave_data":{"state":"\#($0)"}}"# } ?? ""
        return Data(
            #"[{"ifname":"lo","operstate":"UNKNOWN","qdisc":"noqueue"},{"ifname":"eth0","operstate":"\#(operstate)","qdisc":"\#(qdisc)"\#(slave)}]"#.utf8
        )
    }

    static func groups(_ addresses: [String]) -> Data {
        let list = addresses.map { #"{"family":"inet6","address":"\#($0)"}"# }.joined(separator: ",")
        return Data(#"[{"ifindex":2,"ifname":"eth0","maddr":[\#(list)]}]"#.utf8)
    }

    @Test("the solicited-node group keeps the address's low 24 bits")
    func solicitedNodeGroup() {
        #expect(LabReadiness.solicitedNodeGroup(IPv6Address("fd00:172:18::2")!) == IPv6Address("ff02::1:ff00:2"))
        #expect(LabReadiness.solicitedNodeGroup(IPv6Address("fd00:10:244:1::abcd:1234")!) == IPv6Address("ff02::1:ffcd:1234"))
    }

    @Test("the plan's IPv6 addresses are what readiness waits for")
    func assignmentsFromPlan() {
        let topology = LabTopology(labID: "abc123", spec: LabSpec(pods: ["web-1"]))
        let node = topology.setupPlan.addressing.first { $0.namespace == topology.node.namespace }!
        let assignments = LabReadiness.ipv6Assignments(in: node)
        #expect(assignments.contains(.init(interface: "eth0", address: IPv6Address("fd00:172:18::2")!)))
        #expect(assignments.contains(.init(interface: "vpod1", address: IPv6Address("fd00:10:244::1")!)))
        #expect(!assignments.contains { $0.address == IPv6Address("::ffff:172.18.0.2") }, "IPv4 addresses need no group")
    }

    @Test("ready: links up with a qdisc, ports forwarding, groups joined")
    func ready() {
        let problems = LabReadiness.problems(
            linksJSON: Self.links(bridgePortState: "forwarding"), multicastJSON: Self.groups(["ff02::1", "ff02::1:ff00:2"]),
            expected: [assignment]
        )
        #expect(problems.isEmpty)
    }

    @Test("not ready", arguments: [
        (links(operstate: "DOWN"), groups(["ff02::1:ff00:2"]), "eth0 is DOWN"),
        (links(qdisc: "noop"), groups(["ff02::1:ff00:2"]), "eth0 has no active qdisc yet"),
        (links(bridgePortState: "learning"), groups(["ff02::1:ff00:2"]), "bridge port eth0 is learning"),
        (links(), groups(["ff02::1"]), "eth0 has not joined the solicited-node group of fd00:172:18::2"),
    ])
    func notReady(links: Data, groups: Data, problem: String) {
        #expect(LabReadiness.problems(linksJSON: links, multicastJSON: groups, expected: [assignment]) == [problem])
    }

    @Test("sysctl settings become writes to /proc/sys")
    func sysctlScript() {
        #expect(
            NetworkLab.sysctlScript(["net.ipv4.ip_forward=1", "net.ipv6.conf.all.accept_dad=0"])
                == "echo 1 > /proc/sys/net/ipv4/ip_forward && echo 0 > /proc/sys/net/ipv6/conf/all/accept_dad"
        )
    }
}
