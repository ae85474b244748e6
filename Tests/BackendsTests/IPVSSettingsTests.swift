import Backends
import Foundation
import ServiceModel
import Testing

@Suite("IPVS settings and node tuning")
struct IPVSSettingsTests {
    @Test(arguments: ["rr", "wrr", "lc", "wlc", "lblc", "lblcr", "sh", "dh", "sed", "nq", "mh", " wrr\n"])
    func everySchedulerKubeProxySupportsIsAccepted(name: String) throws {
        let settings = try IPVSSettings(scheduler: name, excludeCIDRs: [], strictARP: false)
        #expect(settings.scheduler.name == name.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    @Test func anEmptySchedulerIsRoundRobinAsInKubeProxy() throws {
        #expect(try IPVSSettings(scheduler: "", excludeCIDRs: [], strictARP: false).scheduler == .roundRobin)
    }

    @Test(arguments: [
        ("RR", [String](), "ipvs.scheduler \"RR\" is not an IPVS scheduler proxyd supports; use one of rr, wrr, lc, wlc, lblc, lblcr, sh, dh, sed, nq, mh"),
        ("fo", [], "ipvs.scheduler \"fo\" is not an IPVS scheduler"),
        ("rr", ["10.0.0.0/8", "10.0.0.0/33"], "ipvs.excludeCIDRs[1] \"10.0.0.0/33\" is not a CIDR"),
        ("rr", ["192.0.2.1"], "ipvs.excludeCIDRs[0] \"192.0.2.1\" is not a CIDR"),
    ])
    func aBadSettingIsAnErrorNamingTheFieldAndValue(scheduler: String, excludeCIDRs: [String], message: String) {
        #expect {
            _ = try IPVSSettings(scheduler: scheduler, excludeCIDRs: excludeCIDRs, strictARP: false)
        } throws: { error in
            "\(error)".hasPrefix(message)
        }
    }

    @Test func excludedCIDRsProtectTheirAddressesOnly() throws {
        let settings = try IPVSSettings(scheduler: "rr", excludeCIDRs: [" 192.0.2.0/24", "fd00:1::/64"], strictARP: false)
        #expect(settings.isExcluded("192.0.2.77"))
        #expect(settings.isExcluded("fd00:1::5"))
        #expect(!settings.isExcluded("192.0.3.1"))
    }

    @Test(arguments: [false, true])
    func ipvsModeDeclaresItsSysctlsAndStrictARPOnlyWhenAsked(strictARP: Bool) {
        let names = IPVSNodeTuning.settings(strictARP: strictARP).map(\.description)
        var expected = [
            "net.ipv4.vs.conntrack = 1", "net.ipv4.vs.expire_nodest_conn = 1", "net.ipv4.vs.expire_quiescent_template = 1",
            "net.ipv4.ip_forward = 1",
        ]
        if strictARP { expected += ["net.ipv4.conf.all.arp_ignore = 1", "net.ipv4.conf.all.arp_announce = 2"] }
        #expect(names == expected)
    }

    @Test func theNodeTuningApplierWritesThemAndNamesTheIPVSModuleWhenItsFilesAreMissing() throws {
        let root = NSTemporaryDirectory() + "proxyd-ipvs-tuning-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: root) }
        for (path, value) in ["net/ipv4/ip_forward": 0, "net/ipv4/conf/all/arp_ignore": 0, "net/ipv4/conf/all/arp_announce": 2] {
            let file = root + "/" + path
            try FileManager.default.createDirectory(atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try "\(value)\n".write(toFile: file, atomically: false, encoding: .utf8)
        }
        let report = NodeTuningApplier(sysctlRoot: root).apply(IPVSNodeTuning.settings(strictARP: true))
        #expect(report.changes.map(\.description) == ["net.ipv4.ip_forward: 0 -> 1", "net.ipv4.conf.all.arp_ignore: 0 -> 1"])
        #expect(report.unchanged == ["net.ipv4.conf.all.arp_announce"])
        #expect(report.warnings.count == 3)
        #expect(report.warnings.allSatisfy { $0.contains("does not exist (is the ip_vs module loaded?)") }, "\(report.warnings)")
    }
}
