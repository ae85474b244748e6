import Foundation
import ProxyTesting
import Subprocess
import Testing

/// `proxyd --proxy-mode=ipvs --dry-run`, the built binary: the plan for a node proxyd never ran on, as an operator reads
/// it, without privileges or a kernel with IPVS.
@Suite("proxyd --proxy-mode=ipvs --dry-run")
struct IPVSDryRunCommandTests {
    @Test func theDryRunPrintsTheSysctlsTheIPVSOperationsTheSetsAndTheRules() async throws {
        let result = try await ProxydConfigurationCommandTests.proxyd([
            "--proxy-mode=ipvs", "--objects", ProxydConfigurationCommandTests.examples, "--hostname-override", "node-a", "--dry-run",
        ])
        #expect(result.status == .exited(0), "\(result)")
        let headers = result.stdout.split(separator: "\n").filter { $0.hasPrefix("# ") && !$0.hasPrefix("# IPv") }
        #expect(headers.first == "# sysctl (node settings, before everything else)", "\(headers)")
        #expect(headers.contains("# ipvsadm (IPv4): 36 operations, one netlink request each"), "\(headers)")
        #expect(headers.contains("# ipset restore (IPv6)") && headers.contains("# ip6tables-restore --noflush (IPv6)"), "\(headers)")
        // frontend: ClusterIP and NodePort (on node-a's address) with both endpoints; checkout's ClientIP affinity.
        #expect(result.stdout.contains("-A -t 10.96.10.20:80 -s rr\n"))
        #expect(result.stdout.contains("-a -t 192.168.49.2:30080 -r 10.244.1.12:8080 -m -w 1\n"))
        #expect(result.stdout.contains("-A -t 10.96.10.30:8080 -s rr -p 600\n"))
        #expect(result.stdout.contains("add PROXYD-CLUSTER-IP 10.96.10.20,tcp:80\n"))
        #expect(result.stdout.contains("-A PROXYD-SERVICES"))
        // No timeouts configured: the kernel keeps its own, and nothing is sent.
        #expect(!result.stdout.contains("ipvsadm --set"))
    }

    @Test func configuredTimeoutsAreOneIpvsadmSetLineAfterTheSysctls() async throws {
        let path = NSTemporaryDirectory() + "proxyd-ipvs-timeouts-\(UUID().uuidString).yaml"
        try (ConfigurationResolutionTests.header + "mode: ipvs\nipvs:\n  tcpTimeout: 15m\n  udpTimeout: 5m\n")
            .write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try await ProxydConfigurationCommandTests.proxyd([
            "--config", path, "--objects", ProxydConfigurationCommandTests.examples, "--hostname-override", "node-a", "--dry-run",
        ])
        #expect(result.status == .exited(0), "\(result)")
        #expect(result.stdout.contains("""
            net.ipv4.ip_forward = 1
            # ipvsadm --set (IPVS connection timeouts in seconds: tcp tcpfin udp; 0 leaves the kernel's)
            ipvsadm --set 900 0 300
            # ipvsadm (IPv4)
            """), "\(result.stdout.prefix(600))")
    }

    /// kube-proxy's `--ipvs-*` flags, as a migrating operator types them: the scheduler of every virtual server and
    /// the timeouts sent with `ipvsadm --set`.
    @Test func ipvsFlagsSetTheSchedulerAndTheTimeouts() async throws {
        let result = try await ProxydConfigurationCommandTests.proxyd([
            "--proxy-mode=ipvs", "--objects", ProxydConfigurationCommandTests.examples, "--hostname-override", "node-a", "--dry-run",
            "--ipvs-scheduler=lc", "--ipvs-tcp-timeout=1h",
        ])
        #expect(result.status == .exited(0), "\(result)")
        #expect(result.stdout.contains("\nipvsadm --set 3600 0 0\n"), "\(result.stdout.prefix(600))")
        #expect(result.stdout.contains("-A -t 10.96.10.20:80 -s lc\n"))
        #expect(result.stdout.contains("-A -t 10.96.10.30:8080 -s lc -p 600\n"))
        #expect(!result.stdout.contains(" -s rr"))
    }

    @Test(arguments: [
        ("--ipvs-scheduler=fastest", "--ipvs-scheduler \"fastest\" is not an IPVS scheduler"),
        ("--ipvs-exclude-cidrs=10.0.0.0/8,10.0.0.0/33", "--ipvs-exclude-cidrs \"10.0.0.0/33\" is not a CIDR"),
        ("--ipvs-udp-timeout=600h", "--ipvs-udp-timeout 600h0m0s is out of range"),
    ])
    func aBadIpvsFlagExitsOneNamingTheFlag(flag: String, message: String) async throws {
        let result = try await ProxydConfigurationCommandTests.proxyd([
            "--proxy-mode=ipvs", "--objects", ProxydConfigurationCommandTests.examples, "--hostname-override", "node-a", "--dry-run", flag,
        ])
        #expect(result.status == .exited(1), "\(result)")
        #expect(result.stderr.contains("Error: \(message)"), "\(result.stderr)")
        #expect(result.stdout.isEmpty)
    }

    /// `proxyd --proxy-mode=ipvs --sync-period=10s` (proxyd's flag for every mode) sets ipvs mode's periods, with
    /// no warning that it is ignored; the written configuration shows them in the ipvs section.
    @Test func syncPeriodSetsIpvsModesPeriods() async throws {
        try await ProxydConfigurationCommandTests.withDirectory { directory in
            let path = directory + "/written.yaml"
            let result = try await ProxydConfigurationCommandTests.proxyd([
                "--proxy-mode=ipvs", "--sync-period=10s", "--min-sync-period=2s", "--write-config-to", path,
            ])
            #expect(result.status == .exited(0), "\(result)")
            #expect(!result.stderr.contains("ignoring"), "\(result.stderr)")
            let written = try String(contentsOfFile: path, encoding: .utf8)
            #expect(written.contains("ipvs:\n  excludeCIDRs: []\n  minSyncPeriod: 2s\n  scheduler: \"rr\"\n  strictARP: false\n  syncPeriod: 10s\n"), "\(written)")
        }
    }

    @Test func aBadSyncPeriodExitsOneNamingTheFlagTyped() async throws {
        let result = try await ProxydConfigurationCommandTests.proxyd([
            "--proxy-mode=ipvs", "--objects", ProxydConfigurationCommandTests.examples, "--hostname-override", "node-a", "--dry-run",
            "--sync-period=-1s",
        ])
        #expect(result.status == .exited(1), "\(result)")
        #expect(result.stderr.contains("Error: --sync-period (-1s) must be positive, e.g. 30s"), "\(result.stderr)")
        #expect(result.stdout.isEmpty)
    }
}
