import Backends
import Foundation
import Glibc
import ProxyTesting
import Testing

/// Node tuning against the kernel's real per-network-namespace sysctls, inside a lab namespace (never the host's).
@Suite("node tuning against the kernel", .requiresRoot)
struct NodeTuningKernelTests {
    static let netfilter = "/proc/sys/net/netfilter/"

    static func read(_ path: String) -> String? {
        (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func tuningAppliesPerNamespaceTimeoutsInTheNamespaceItRunsInAndWarnsAboutTheGlobalMaximum() async throws {
        try await NetworkLab.with(LabSpec(pods: [])) { lab in
            // A NAT table makes sure nf_conntrack is loaded, and with it the conntrack sysctls of every namespace.
            try await lab.nft(in: lab.node, "table ip t { chain c { type nat hook prerouting priority -100; }; }")
            let names = ["nf_conntrack_tcp_timeout_established", "nf_conntrack_tcp_be_liberal", "nf_conntrack_udp_timeout", "nf_conntrack_max"]
            let hostBefore = names.map { Self.read(Self.netfilter + $0) }

            let thread = try await KernelThread(name: "tuning-test", networkNamespace: "/run/netns/\(lab.node.namespace)")
            defer { thread.stop() }
            // /proc/sys/net follows the network namespace of the *thread* that opens the file.
            let (inside, maxMode) = try await thread.perform { () -> ([String?], mode_t) in
                var info = stat()
                stat(Self.netfilter + "nf_conntrack_max", &info)
                return (names.map { Self.read(Self.netfilter + $0) }, info.st_mode)
            }
            // nf_conntrack_max is one global value; outside the initial namespace it must be read-only, or this
            // test would change the host's. (It is, on every kernel since 5.x.)
            try #require(maxMode & 0o222 == 0, "nf_conntrack_max is writable in a lab namespace; refusing to go on")
            let established = try #require(inside[0].flatMap { Int($0) })
            let currentMax = try #require(inside[3].flatMap { Int($0) })

            let hashsize = NSTemporaryDirectory() + "proxyd-hashsize-" + UUID().uuidString
            try "1\n".write(toFile: hashsize, atomically: false, encoding: .utf8)
            defer { try? FileManager.default.removeItem(atPath: hashsize) }
            let tuning = ConntrackTuning(
                maxPerCore: currentMax + 4096, min: 0, tcpEstablishedTimeout: .seconds(established + 17), tcpCloseWaitTimeout: nil,
                tcpBeLiberal: true, udpTimeout: .seconds(47))
            let applier = NodeTuningApplier(hashsizePath: hashsize, cpuCount: 1)
            let report = try await thread.perform { applier.apply(tuning) }

            #expect(report.changes.map(\.name) == [
                "nf_conntrack hashsize", "net.netfilter.nf_conntrack_tcp_timeout_established",
                "net.netfilter.nf_conntrack_tcp_be_liberal", "net.netfilter.nf_conntrack_udp_timeout",
            ])
            #expect(report.warnings.count == 1)
            #expect(report.warnings.first?.contains("cannot set net.netfilter.nf_conntrack_max") == true, "\(report)")
            #expect(report.warnings.first?.contains("not permitted") == true, "\(report)")

            // Seen from inside the namespace (another process), the namespace's values changed…
            func insideValue(_ name: String) async throws -> String {
                try await lab.exec(in: lab.node, ["cat", Self.netfilter + name]).requireSuccess().stdout
                    .trimmingCharacters(in: .whitespacesAndNewlines)
            }
            #expect(try await insideValue("nf_conntrack_tcp_timeout_established") == String(established + 17))
            #expect(try await insideValue("nf_conntrack_tcp_be_liberal") == "1")
            #expect(try await insideValue("nf_conntrack_udp_timeout") == "47")
            #expect(try await insideValue("nf_conntrack_max") == String(currentMax))
            // …and the host's did not.
            #expect(names.map { Self.read(Self.netfilter + $0) } == hostBefore)

            // A second run finds everything in place and writes nothing.
            let again = try await thread.perform { applier.apply(tuning) }
            #expect(again.changes.isEmpty, "\(again)")
        }
    }
}
