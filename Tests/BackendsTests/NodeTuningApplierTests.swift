import Backends
import Foundation
import Testing

/// Node tuning's rules, on a sysctl tree in a temporary directory (never the host's).
@Suite("node tuning")
struct NodeTuningApplierTests {
    /// A fake `/proc/sys` and hashsize file holding the given values.
    struct Tree {
        let root: String
        var sysctlRoot: String { root + "/sys" }
        var hashsizePath: String { root + "/hashsize" }

        init(sysctls: [String: Int], hashsize: Int?) throws {
            root = NSTemporaryDirectory() + "proxyd-tuning-" + UUID().uuidString
            for (path, value) in sysctls {
                let file = root + "/sys/" + path
                try FileManager.default.createDirectory(
                    atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                try "\(value)\n".write(toFile: file, atomically: false, encoding: .utf8)
            }
            if let hashsize { try "\(hashsize)\n".write(toFile: root + "/hashsize", atomically: false, encoding: .utf8) }
        }

        func value(_ path: String) -> Int? {
            let file = path == "hashsize" ? hashsizePath : sysctlRoot + "/" + path
            return (try? String(contentsOfFile: file, encoding: .utf8)).flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        }

        func applier(cpus: Int) -> NodeTuningApplier {
            NodeTuningApplier(sysctlRoot: sysctlRoot, hashsizePath: hashsizePath, cpuCount: cpus)
        }

        func remove() { try? FileManager.default.removeItem(atPath: root) }
    }

    static let kernelDefaults: [String: Int] = [
        "net/netfilter/nf_conntrack_max": 262144,
        "net/netfilter/nf_conntrack_tcp_timeout_established": 432000,
        "net/netfilter/nf_conntrack_tcp_timeout_close_wait": 60,
        "net/netfilter/nf_conntrack_tcp_be_liberal": 0,
        "net/netfilter/nf_conntrack_udp_timeout": 30,
        "net/netfilter/nf_conntrack_udp_timeout_stream": 120,
        "net/ipv4/conf/all/route_localnet": 0,
    ]

    @Test(arguments: [
        (32768, 131072, 2, 131072),  // kube-proxy's defaults on 2 CPUs: the minimum wins
        (32768, 131072, 8, 262144),  // 8 CPUs: per-core scaling wins
        (32768, 0, 1, 32768),
    ])
    func conntrackMaxIsPerCoreTimesCPUsAtLeastTheMinimum(perCore: Int, min: Int, cpus: Int, expected: Int) {
        #expect(NodeTuningApplier.conntrackMax(ConntrackTuning(maxPerCore: perCore, min: min), cpuCount: cpus) == expected)
    }

    @Test func noMaxPerCoreLeavesConntrackMaxAndHashsizeAlone() {
        for tuning in [ConntrackTuning(maxPerCore: nil), ConntrackTuning(maxPerCore: 0)] {
            let names = NodeTuningApplier.settings(for: tuning, cpuCount: 4).map(\.name)
            #expect(!names.contains("net.netfilter.nf_conntrack_max"))
            #expect(!names.contains("nf_conntrack hashsize"))
        }
    }

    @Test func kubeProxyDefaultsAskForMaxHashsizeAndTCPTimeoutsOnly() {
        let settings = NodeTuningApplier.settings(for: .kubeProxyDefaults, cpuCount: 2)
        #expect(settings.map(\.description) == [
            "net.netfilter.nf_conntrack_max = 131072",
            "nf_conntrack hashsize >= 32768",
            "net.netfilter.nf_conntrack_tcp_timeout_established = 86400",
            "net.netfilter.nf_conntrack_tcp_timeout_close_wait = 3600",
        ])
    }

    @Test func everyOptionalSettingMapsToItsSysctl() {
        let tuning = ConntrackTuning(
            maxPerCore: nil, tcpEstablishedTimeout: nil, tcpCloseWaitTimeout: nil, tcpBeLiberal: true,
            udpTimeout: .seconds(45), udpStreamTimeout: .seconds(150))
        let settings = NodeTuningApplier.settings(for: tuning, cpuCount: 2, routeLocalnet: true)
        #expect(settings.map(\.description) == [
            "net.netfilter.nf_conntrack_tcp_be_liberal = 1",
            "net.netfilter.nf_conntrack_udp_timeout = 45",
            "net.netfilter.nf_conntrack_udp_timeout_stream = 150",
            "net.ipv4.conf.all.route_localnet = 1",
        ])
    }

    @Test func applyingWritesOnlyWhatDiffersAndReportsIt() throws {
        var sysctls = Self.kernelDefaults
        sysctls["net/netfilter/nf_conntrack_tcp_timeout_close_wait"] = 3600  // already what kube-proxy wants
        let tree = try Tree(sysctls: sysctls, hashsize: 16384)
        defer { tree.remove() }
        let report = tree.applier(cpus: 8).apply(.kubeProxyDefaults)
        // 8 CPUs × 32768 = 262144: nf_conntrack_max already holds it.
        #expect(report.changes.map(\.description) == [
            "nf_conntrack hashsize: 16384 -> 65536",
            "net.netfilter.nf_conntrack_tcp_timeout_established: 432000 -> 86400",
        ])
        #expect(report.unchanged == ["net.netfilter.nf_conntrack_max", "net.netfilter.nf_conntrack_tcp_timeout_close_wait"])
        #expect(report.warnings.isEmpty)
        #expect(tree.value("hashsize") == 65536)
        #expect(tree.value("net/netfilter/nf_conntrack_tcp_timeout_established") == 86400)
        #expect(tree.value("net/netfilter/nf_conntrack_tcp_be_liberal") == 0, "not asked for")
        #expect(tree.value("net/ipv4/conf/all/route_localnet") == 0, "nftables never needs it")

        let again = tree.applier(cpus: 8).apply(.kubeProxyDefaults)
        #expect(again.changes.isEmpty)
    }

    @Test func conntrackMaxIsSetEvenDownwardsButTheHashTableNeverShrinks() throws {
        let tree = try Tree(sysctls: Self.kernelDefaults, hashsize: 1_048_576)
        defer { tree.remove() }
        let report = tree.applier(cpus: 2).apply(.kubeProxyDefaults)
        #expect(report.changes.map(\.name).contains("net.netfilter.nf_conntrack_max"))
        #expect(tree.value("net/netfilter/nf_conntrack_max") == 131072)
        #expect(tree.value("hashsize") == 1_048_576)
        #expect(report.unchanged.contains("nf_conntrack hashsize"))
    }

    @Test func routeLocalnetIsWrittenOnlyWhenAModeNeedsIt() throws {
        let tree = try Tree(sysctls: Self.kernelDefaults, hashsize: 65536)
        defer { tree.remove() }
        let tuning = ConntrackTuning(maxPerCore: nil, tcpEstablishedTimeout: nil, tcpCloseWaitTimeout: nil)
        #expect(tree.applier(cpus: 2).apply(tuning, routeLocalnet: false).changes.isEmpty)
        #expect(tree.value("net/ipv4/conf/all/route_localnet") == 0)
        let report = tree.applier(cpus: 2).apply(tuning, routeLocalnet: true)
        #expect(report.changes.map(\.description) == ["net.ipv4.conf.all.route_localnet: 0 -> 1"])
        #expect(tree.value("net/ipv4/conf/all/route_localnet") == 1)
    }

    @Test func aMissingSysctlIsAWarningNamingItAndTheRestIsStillApplied() throws {
        var sysctls = Self.kernelDefaults
        sysctls["net/netfilter/nf_conntrack_max"] = nil
        let tree = try Tree(sysctls: sysctls, hashsize: 65536)
        defer { tree.remove() }
        let report = tree.applier(cpus: 2).apply(.kubeProxyDefaults)
        #expect(report.warnings.count == 1)
        #expect(report.warnings.first?.contains("net.netfilter.nf_conntrack_max") == true)
        #expect(report.warnings.first?.contains("does not exist") == true)
        #expect(tree.value("net/netfilter/nf_conntrack_tcp_timeout_established") == 86400)
    }

    @Test func aSettingThatCannotBeWrittenIsAWarningNotAFailure() throws {
        let tree = try Tree(sysctls: Self.kernelDefaults, hashsize: 65536)
        defer { tree.remove() }
        // A directory where the file should be: open(O_WRONLY) fails with EISDIR even for root.
        let established = tree.sysctlRoot + "/net/netfilter/nf_conntrack_tcp_timeout_established"
        try FileManager.default.removeItem(atPath: established)
        try FileManager.default.createDirectory(atPath: established, withIntermediateDirectories: false)
        let report = tree.applier(cpus: 2).apply(.kubeProxyDefaults)
        #expect(report.warnings.count == 1)
        #expect(report.warnings.first?.contains("cannot set net.netfilter.nf_conntrack_tcp_timeout_established to 86400") == true)
        #expect(tree.value("net/netfilter/nf_conntrack_tcp_timeout_close_wait") == 3600, "the others are applied")
    }
}
