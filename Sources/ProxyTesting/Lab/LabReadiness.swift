import Foundation
import ServiceModel

/// Whether a namespace's data plane is ready for the first packet, judged from `ip -j` dumps. Pure.
///
/// Bringing a link up finishes asynchronously in the kernel (the link-watch work item): until it runs, the
/// device transmits through the `noop` qdisc, which drops everything, and a bridge port does not forward.
/// IPv6 solicited-node multicast groups are joined by another work item: until then neighbor solicitations for
/// the address are ignored. Either way the first ARP/ND packet of a test is lost and the kernel retries only a
/// second later, so a lab waits until the state below holds instead of hoping:
/// - every link but `lo` is up (`operstate` UP) with a real qdisc (not `noop`);
/// - every bridge port is `forwarding`;
/// - every configured IPv6 address's solicited-node group is joined on its interface.
enum LabReadiness {
    /// An IPv6 address the plan assigns to an interface.
    struct IPv6Assignment: Hashable {
        var interface: String
        var address: IPv6Address
    }

    /// The IPv6 addresses a namespace's addressing batch assigns (`addr add X/len dev IF`).
    static func ipv6Assignments(in batch: LabSetupPlan.Batch) -> [IPv6Assignment] {
        batch.lines.compactMap { line in
            let words = line.split(separator: " ")
            guard words.count >= 5, words[0] == "addr", words[1] == "add",
                let slash = words[2].firstIndex(of: "/"), case .v6(let address)? = IPAddress(words[2][..<slash]),
                let dev = words.firstIndex(of: "dev"), dev + 1 < words.count
            else { return nil }
            return IPv6Assignment(interface: String(words[dev + 1]), address: address)
        }
    }

    /// `ff02::1:ffXX:XXXX`: the group a node joins to hear neighbor solicitations for `address`.
    static func solicitedNodeGroup(_ address: IPv6Address) -> IPv6Address {
        IPv6Address(high: 0xff02_0000_0000_0000, low: 0x0000_0001_ff00_0000 | (address.low & 0x00ff_ffff))
    }

    /// What is not ready yet, from `ip -j -d link show` and `ip -j -6 maddr show`; empty when ready.
    static func problems(linksJSON: Data, multicastJSON: Data, expected: [IPv6Assignment]) -> [String] {
        struct Link: Decodable {
            struct LinkInfo: Decodable {
                struct SlaveData: Decodable { var state: String? }
                var info_slave_kind: String?
                var info_slave_data: SlaveData?
            }
            var ifname: String
            var operstate: String?
            var qdisc: String?
            var linkinfo: LinkInfo?
        }
        struct Multicast: Decodable {
            struct Group: Decodable {
                var family: String?
                var address: String
            }
            var ifname: String
            var maddr: [Group]?
        }
        guard let links = try? JSONDecoder().decode([Link].self, from: linksJSON),
            let groups = try? JSONDecoder().decode([Multicast].self, from: multicastJSON)
        else {
            return ["cannot read `ip -j` output"]
        }
        var problems: [String] = []
        for link in links where link.ifname != "lo" {
            if link.operstate != "UP" { problems.append("\(link.ifname) is \(link.operstate ?? "?")") }
            if link.qdisc == nil || link.qdisc == "noop" { problems.append("\(link.ifname) has no active qdisc yet") }
            if link.linkinfo?.info_slave_kind == "bridge", link.linkinfo?.info_slave_data?.state != "forwarding" {
                problems.append("bridge port \(link.ifname) is \(link.linkinfo?.info_slave_data?.state ?? "?")")
            }
        }
        var joined: [String: Set<IPv6Address>] = [:]
        for entry in groups {
            joined[entry.ifname, default: []].formUnion((entry.maddr ?? []).compactMap { IPv6Address($0.address) })
        }
        for assignment in expected where !(joined[assignment.interface] ?? []).contains(solicitedNodeGroup(assignment.address)) {
            problems.append("\(assignment.interface) has not joined the solicited-node group of \(assignment.address)")
        }
        return problems
    }
}
