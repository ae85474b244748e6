import ArgumentParser
import Backends
import Foundation
import ServiceModel
import Testing

@testable import ProxydConfiguration
@testable import proxyd

/// Flags and the configuration file combined into the values proxyd runs with, as kube-proxy combines them.
@Suite("flags and configuration file")
struct ConfigurationResolutionTests {
    static let header = "apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\n"

    @Test func flagsAloneGiveKubeProxysDefaults() throws {
        let options = try Self.resolve(["--objects", "x", "--hostname-override", "Node-A", "--cluster-cidr", "10.244.0.0/16"])
        #expect(options.mode == .nftables)
        #expect(options.configuration == ProxyConfiguration(
            nodeName: "node-a", clusterCIDRs: [CIDR("10.244.0.0/16")], detectLocal: .clusterCIDR,
            nodePortAddresses: [.primary], masqueradeAll: false, serviceProxyName: nil))
        #expect(options.daemon == DaemonSettings())
        #expect(options.conntrack == .kubeProxyDefaults)
        #expect(options.clientConnection == ClientConnectionSettings())
        #expect(options.masqueradeBit == 14)
        #expect(options.verbosity == 0)
        #expect(options.configFile == nil && options.ignoredFlags.isEmpty && options.ignoredSettings.isEmpty)
    }

    @Test func conntrackFlagsResolveIntoTheTuning() throws {
        let options = try Self.resolve([
            "--objects", "x", "--conntrack-max-per-core", "0", "--conntrack-min", "1000",
            "--conntrack-tcp-timeout-established", "12h", "--conntrack-tcp-timeout-close-wait", "0s",
            "--conntrack-tcp-be-liberal", "--conntrack-udp-timeout", "30s", "--conntrack-udp-timeout-stream", "2m",
        ])
        #expect(options.conntrack == ConntrackTuning(
            maxPerCore: nil, min: 1000, tcpEstablishedTimeout: .seconds(43200), tcpCloseWaitTimeout: nil,
            tcpBeLiberal: true, udpTimeout: .seconds(30), udpStreamTimeout: .seconds(120)))
    }

    @Test func kubeProxysCommandLineFormsAreTaken() throws {
        let arguments = ProxydCommand.normalizeArguments(
            ["--conntrack-tcp-be-liberal=true", "--init-only=false", "-v=3", "--objects", "x"])
        #expect(arguments == ["--conntrack-tcp-be-liberal", "--v=3", "--objects", "x"])
        #expect(try Self.resolve(arguments).verbosity == 3)
        #expect(try Self.resolve(["-v", "2", "--objects", "x"]).verbosity == 2)
    }

    @Test func initOnlyAndWriteConfigToNeedNoObjects() throws {
        #expect(try Self.resolve(["--init-only"]).initOnly)
        #expect(try Self.resolve(["--write-config-to", "/tmp/x.yaml"]).writeConfigTo == "/tmp/x.yaml")
        #expect(throws: (any Error).self) { try Self.resolve(["--init-only", "--once", "--objects", "x"]) }
        #expect(throws: (any Error).self) { try Self.resolve(["--write-config-to", "/tmp/x.yaml", "--dry-run", "--objects", "x"]) }
    }

    @Test func masqueradeBitFlagSetsTheIptablesSectionOnly() throws {
        let iptables = try Self.resolve(["--objects", "x", "--proxy-mode", "iptables", "--iptables-masquerade-bit", "12"])
        #expect(iptables.masqueradeBit == 12)
        // As in kube-proxy, nftables mode reads nftables.masqueradeBit, which has no flag.
        let nftables = try Self.resolve(["--objects", "x", "--iptables-masquerade-bit", "12"])
        #expect(nftables.masqueradeBit == 14)
        #expect(nftables.effectiveConfiguration.iptables.masqueradeBit == 12)
        #expect(Self.message(["--objects", "x", "--iptables-masquerade-bit", "32"])
            == "--iptables-masquerade-bit 32 is out of range; use a bit from 0 to 31 (kube-proxy's default is 14)")
    }

    @Test func syncPeriodFlagsSetTheSelectedModesSection() throws {
        let options = try Self.resolve(["--objects", "x", "--iptables-sync-period", "1m", "--min-sync-period", "250ms"])
        #expect(options.daemon.syncPeriod == GoDuration(.seconds(60)))
        #expect(options.daemon.minSyncPeriod == GoDuration(.milliseconds(250)))
        #expect(options.effectiveConfiguration.nftables.syncPeriod == GoDuration(.seconds(60)))
        #expect(options.effectiveConfiguration.iptables.syncPeriod == GoDuration(.seconds(30)))
        #expect(options.ignoredSettings.isEmpty)
    }

    /// `--sync-period` and `--min-sync-period` are not the `--iptables-*` flags' aliases: they set the periods of
    /// whatever mode runs, ipvs included, without a warning.
    @Test(arguments: ProxyMode.allCases)
    func syncPeriodAndMinSyncPeriodSetThePeriodsOfEveryMode(mode: ProxyMode) throws {
        let options = try Self.resolve(["--objects", "x", "--proxy-mode=\(mode)", "--sync-period=10s", "--min-sync-period=2s"])
        #expect(options.mode == mode)
        #expect(options.daemon.syncPeriod == GoDuration(.seconds(10)))
        #expect(options.daemon.minSyncPeriod == GoDuration(.seconds(2)))
        #expect(options.ignoredSettings.isEmpty)
        let section = options.effectiveConfiguration
        let periods = switch mode {
        case .nftables: (section.nftables.syncPeriod, section.nftables.minSyncPeriod)
        case .iptables: (section.iptables.syncPeriod, section.iptables.minSyncPeriod)
        case .ipvs: (section.ipvs.syncPeriod, section.ipvs.minSyncPeriod)
        }
        #expect(periods == (GoDuration(.seconds(10)), GoDuration(.seconds(2))))
    }

    /// Both `--sync-period` and the mode's own flag given: `--sync-period` wins whatever the order on the command
    /// line, and the mode-specific flag is reported as ignored.
    @Test(arguments: [
        (["--proxy-mode=ipvs", "--sync-period=10s", "--ipvs-sync-period=1m"], "--ipvs-sync-period"),
        (["--proxy-mode=ipvs", "--ipvs-sync-period=1m", "--sync-period=10s"], "--ipvs-sync-period"),
        (["--proxy-mode=iptables", "--iptables-sync-period=1m", "--sync-period=10s"], "--iptables-sync-period"),
        (["--sync-period=10s", "--iptables-sync-period=1m"], "--iptables-sync-period"),
    ])
    func syncPeriodTakesPrecedenceOverTheModesOwnFlag(arguments: [String], ignored: String) throws {
        let options = try Self.resolve(["--objects", "x"] + arguments)
        #expect(options.daemon.syncPeriod == GoDuration(.seconds(10)))
        #expect(options.ignoredSettings == ["\(ignored) (--sync-period is given and takes precedence)"])
    }

    @Test func minSyncPeriodTakesPrecedenceOverTheModesOwnFlag() throws {
        let ipvs = try Self.resolve([
            "--objects", "x", "--proxy-mode=ipvs", "--ipvs-min-sync-period=5s", "--min-sync-period=2s", "--ipvs-sync-period=1m",
        ])
        #expect(ipvs.daemon.minSyncPeriod == GoDuration(.seconds(2)))
        #expect(ipvs.daemon.syncPeriod == GoDuration(.seconds(60)))
        #expect(ipvs.ignoredSettings == ["--ipvs-min-sync-period (--min-sync-period is given and takes precedence)"])
        let nftables = try Self.resolve(["--objects", "x", "--min-sync-period=2s", "--iptables-min-sync-period=5s"])
        #expect(nftables.daemon.minSyncPeriod == GoDuration(.seconds(2)))
        #expect(nftables.ignoredSettings == ["--iptables-min-sync-period (--min-sync-period is given and takes precedence)"])
    }

    /// Errors about the periods name the flag typed: `--sync-period`, not the mode's own flag.
    @Test(arguments: [
        (["--proxy-mode=ipvs", "--sync-period=-1s"], "--sync-period (-1s) must be positive, e.g. 30s"),
        (["--proxy-mode=iptables", "--sync-period=-2s"], "--sync-period (-2s) must be positive, e.g. 30s"),
        (["--proxy-mode=ipvs", "--min-sync-period=-1s"], "--min-sync-period (-1s) must not be negative, e.g. 1s"),
        (["--proxy-mode=ipvs", "--min-sync-period=1m"], "--min-sync-period (1m0s) must not exceed --sync-period (30s)"),
        (["--sync-period=500ms"], "--min-sync-period (1s) must not exceed --sync-period (500ms)"),
        (["--proxy-mode=ipvs", "--sync-period=10s", "--ipvs-min-sync-period=20s"],
         "--ipvs-min-sync-period (20s) must not exceed --sync-period (10s)"),
        (["--iptables-sync-period=500ms"], "--iptables-min-sync-period (1s) must not exceed --iptables-sync-period (500ms)"),
    ])
    func badSyncPeriodsNameTheFlagTyped(arguments: [String], message: String) {
        #expect(Self.message(["--objects", "x"] + arguments) == message)
    }

    // MARK: - --ipvs-* flags

    @Test func ipvsFlagsResolveIntoTheIPVSSettings() throws {
        let options = try Self.resolve([
            "--objects", "x", "--proxy-mode", "ipvs", "--ipvs-scheduler", "lc", "--ipvs-exclude-cidrs", "10.0.0.0/8, fd00::/8",
            "--ipvs-exclude-cidrs=192.168.0.0/16", "--ipvs-strict-arp", "--ipvs-tcp-timeout", "1h", "--ipvs-tcpfin-timeout", "30s",
            "--ipvs-udp-timeout", "5m", "--ipvs-sync-period", "1m", "--ipvs-min-sync-period", "2s",
        ])
        #expect(options.ipvs == IPVSSettings(
            scheduler: IPVSScheduler(kernelName: "lc"),
            excludeCIDRs: [CIDR("10.0.0.0/8"), CIDR("fd00::/8"), CIDR("192.168.0.0/16")], strictARP: true,
            tcpTimeout: .seconds(3600), tcpFinTimeout: .seconds(30), udpTimeout: .seconds(300)))
        #expect(options.daemon.syncPeriod == GoDuration(.seconds(60)))
        #expect(options.daemon.minSyncPeriod == GoDuration(.seconds(2)))
        #expect(options.effectiveConfiguration.ipvs.scheduler == "lc")
        #expect(options.effectiveConfiguration.ipvs.excludeCIDRs == ["10.0.0.0/8", "fd00::/8", "192.168.0.0/16"])
        #expect(options.ignoredSettings.isEmpty)
    }

    @Test func ipvsStrictARPTakesKubeProxysBooleanForms() throws {
        #expect(try Self.resolve(ProxydCommand.normalizeArguments(["--objects", "x", "--proxy-mode=ipvs", "--ipvs-strict-arp=true"])).ipvs.strictARP)
        #expect(try !Self.resolve(ProxydCommand.normalizeArguments(["--objects", "x", "--proxy-mode=ipvs", "--ipvs-strict-arp=false"])).ipvs.strictARP)
        #expect(try !Self.resolve(["--objects", "x", "--proxy-mode=ipvs"]).ipvs.strictARP)
    }

    /// kube-proxy (`processV1Alpha1Flags`) applies --iptables-sync-period only outside ipvs mode and
    /// --ipvs-sync-period only in it.
    @Test func ipvsModeSyncsByTheIpvsPeriodFlagsAndIgnoresTheIptablesOnes() throws {
        let ipvs = try Self.resolve([
            "--objects", "x", "--proxy-mode", "ipvs", "--iptables-sync-period", "5s", "--iptables-min-sync-period", "2s",
        ])
        #expect(ipvs.daemon.syncPeriod == GoDuration(.seconds(30)))
        #expect(ipvs.daemon.minSyncPeriod == GoDuration(.zero))
        #expect(ipvs.effectiveConfiguration.iptables.syncPeriod == GoDuration(.seconds(30)))
        #expect(ipvs.ignoredSettings == [
            "--iptables-sync-period (ipvs mode syncs by --sync-period and --min-sync-period, or --ipvs-sync-period and --ipvs-min-sync-period, as kube-proxy does)",
            "--iptables-min-sync-period (ipvs mode syncs by --sync-period and --min-sync-period, or --ipvs-sync-period and --ipvs-min-sync-period, as kube-proxy does)",
        ])
        let both = try Self.resolve(["--objects", "x", "--proxy-mode", "ipvs", "--iptables-sync-period", "5s", "--ipvs-sync-period", "1m"])
        #expect(both.daemon.syncPeriod == GoDuration(.seconds(60)))
        // Outside ipvs mode the --ipvs-* flags only fill the ipvs section, which that mode does not read.
        let nftables = try Self.resolve(["--objects", "x", "--ipvs-sync-period", "5s", "--ipvs-scheduler", "lc"])
        #expect(nftables.daemon.syncPeriod == GoDuration(.seconds(30)))
        #expect(nftables.ipvs == IPVSSettings())
        #expect(nftables.effectiveConfiguration.ipvs.scheduler == "lc")
        #expect(nftables.ignoredSettings == ["--ipvs-scheduler (only ipvs mode uses it)", "--ipvs-sync-period (only ipvs mode uses it)"])
    }

    @Test func withConfigTheFilesIpvsSectionWinsOverTheIpvsFlags() throws {
        let text = Self.header + "mode: ipvs\nipvs: {scheduler: wrr, tcpTimeout: 15m}\n"
        let options = try Self.withFile(text) {
            try Self.resolve(["--config", $0, "--objects", "x", "--ipvs-scheduler", "lc", "--ipvs-udp-timeout", "1m"])
        }
        #expect(options.ipvs == IPVSSettings(scheduler: IPVSScheduler(kernelName: "wrr"), tcpTimeout: .seconds(900)))
        #expect(options.ignoredFlags == ["--ipvs-scheduler", "--ipvs-udp-timeout"])
    }

    @Test(arguments: [
        (["--ipvs-scheduler", "fastest"], "--ipvs-scheduler \"fastest\" is not an IPVS scheduler; use one of dh, lblc, lblcr, lc, mh, nq, rr, sed, sh, wlc, wrr"),
        (["--ipvs-exclude-cidrs", "10.0.0.0/8,10.0.0.0/33"], "--ipvs-exclude-cidrs \"10.0.0.0/33\" is not a CIDR; write prefixes like 10.0.0.0/8,fd00::/64"),
        (["--ipvs-tcp-timeout=-1s"], "--ipvs-tcp-timeout -1s must not be negative (0s leaves the kernel's value)"),
        (["--ipvs-tcpfin-timeout", "600h"], "--ipvs-tcpfin-timeout 600h0m0s is out of range; an IPVS timeout can be at most 596h31m23s (the kernel's limit)"),
        (["--ipvs-udp-timeout", "600h"], "--ipvs-udp-timeout 600h0m0s is out of range; an IPVS timeout can be at most 596h31m23s (the kernel's limit)"),
        (["--ipvs-sync-period=-1s"], "--ipvs-sync-period (-1s) must be positive, e.g. 30s"),
        (["--ipvs-min-sync-period", "1m"], "--ipvs-min-sync-period (1m0s) must not exceed --ipvs-sync-period (30s)"),
        (["--ipvs-min-sync-period=-1s"], "--ipvs-min-sync-period (-1s) must not be negative, e.g. 1s"),
    ])
    func badIpvsFlagsNameTheFlag(arguments: [String], message: String) {
        #expect(Self.message(["--objects", "x", "--proxy-mode", "ipvs"] + arguments) == message)
    }

    @Test func theFileIsTheConfiguration() throws {
        let text = Self.header + """
            hostnameOverride: Node-B
            clusterCIDR: 10.244.0.0/16,fd00:10:244::/56
            detectLocalMode: InterfaceNamePrefix
            detectLocal: {interfaceNamePrefix: veth}
            nodePortAddresses: [192.168.0.0/16]
            serviceProxyName: proxyd
            healthzBindAddress: 127.0.0.1
            metricsBindAddress: "[::1]:20249"
            clientConnection: {kubeconfig: /etc/k.conf, qps: 20, burst: 40}
            iptables: {syncPeriod: 5m, masqueradeAll: false}
            nftables: {syncPeriod: 45s, minSyncPeriod: 2s, masqueradeAll: true}
            conntrack: {maxPerCore: 0, min: 1000, tcpCloseWaitTimeout: 2h, udpTimeout: 10s}
            logging: {verbosity: 2}
            """
        let options = try Self.withFile(text) { try Self.resolve(["--config", $0, "--objects", "x"]) }
        #expect(options.mode == .nftables)
        #expect(options.configuration == ProxyConfiguration(
            nodeName: "node-b", clusterCIDRs: [CIDR("10.244.0.0/16"), CIDR("fd00:10:244::/56")],
            detectLocal: .interfaceNamePrefix("veth"), nodePortAddresses: [.cidr(CIDR("192.168.0.0/16"))],
            masqueradeAll: true, serviceProxyName: "proxyd"))
        #expect(options.daemon == DaemonSettings(
            healthzBindAddress: "127.0.0.1:10256", metricsBindAddress: "[::1]:20249",
            minSyncPeriod: GoDuration(.seconds(2)), syncPeriod: GoDuration(.seconds(45))))
        #expect(options.clientConnection == ClientConnectionSettings(kubeconfig: "/etc/k.conf", qps: 20, burst: 40))
        #expect(options.conntrack == ConntrackTuning(
            maxPerCore: nil, min: 1000, tcpEstablishedTimeout: .seconds(86400), tcpCloseWaitTimeout: .seconds(7200),
            tcpBeLiberal: false, udpTimeout: .seconds(10), udpStreamTimeout: nil))
        #expect(options.verbosity == 2)
        #expect(options.ignoredFlags.isEmpty)
    }

    @Test func withConfigFlagsThatSetFieldsAreIgnoredExceptHostnameAndVerbosity() throws {
        let text = Self.header + "hostnameOverride: node-b\nclusterCIDR: 10.244.0.0/16\nlogging: {verbosity: 2}\nconntrack: {min: 1000}\n"
        let options = try Self.withFile(text) {
            try Self.resolve([
                "--config", $0, "--objects", "x", "--cluster-cidr", "10.0.0.0/8", "--conntrack-min", "5",
                "--masquerade-all", "--hostname-override", "node-c", "--v", "4", "--iptables-sync-period", "1m",
            ])
        }
        #expect(options.configuration.clusterCIDRs == [CIDR("10.244.0.0/16")])
        #expect(options.conntrack.min == 1000)
        #expect(options.configuration.masqueradeAll == false)
        #expect(options.daemon.syncPeriod == GoDuration(.seconds(30)))
        #expect(options.configuration.nodeName == "node-c")
        #expect(options.verbosity == 4)
        #expect(options.ignoredFlags == ["--cluster-cidr", "--masquerade-all", "--iptables-sync-period", "--conntrack-min"])
    }

    /// With --config the file's periods win over --sync-period as over any flag, and the warning names it.
    @Test func withConfigTheFilesPeriodsWinOverSyncPeriod() throws {
        let text = Self.header + "mode: ipvs\nipvs: {syncPeriod: 45s}\n"
        let options = try Self.withFile(text) {
            try Self.resolve(["--config", $0, "--objects", "x", "--sync-period", "10s", "--min-sync-period", "2s"])
        }
        #expect(options.daemon.syncPeriod == GoDuration(.seconds(45)))
        #expect(options.daemon.minSyncPeriod == GoDuration(.zero))
        #expect(options.ignoredFlags == ["--sync-period", "--min-sync-period"])
    }

    @Test func runFlagsStillApplyWithConfig() throws {
        let text = Self.header + "mode: iptables\n"
        let options = try Self.withFile(text) { try Self.resolve(["--config", $0, "--objects", "dir", "--dry-run"]) }
        #expect(options.mode == .iptables)
        #expect(options.objectsPath == "dir" && options.dryRun)
        // --dry-run prints the mode's own rules unless --output says otherwise.
        #expect(options.output == .rules(.iptables))
    }

    @Test func iptablesFlagsAndOutputFollowTheMode() throws {
        let options = try Self.resolve([
            "--objects", "x", "--proxy-mode", "iptables", "--iptables-localhost-nodeports=false", "--iptables-flavour", "legacy",
        ])
        #expect(options.localhostNodePorts == false)
        #expect(options.effectiveConfiguration.iptables.localhostNodePorts == false)
        #expect(options.iptablesFlavour == .legacy)
        #expect(try Self.resolve(["--objects", "x", "--proxy-mode", "iptables"]).localhostNodePorts)
        #expect(try Self.resolve(["--objects", "x", "--proxy-mode", "iptables"]).iptablesFlavour == .auto)
        #expect(try Self.resolve(["--objects", "x"]).output == .rules(.nftables))
        #expect(Self.message(["--objects", "x", "--dry-run", "--output", "iptables"])
            == "--output=iptables shows iptables rules; use it with --proxy-mode=iptables, or use --output=model")
        #expect(Self.message(["--objects", "x", "--proxy-mode", "iptables", "--dry-run", "--output", "nft"])
            == "--output=nft shows nftables rules; use it with --proxy-mode=nftables, or use --output=model")
    }

    @Test(arguments: [
        ("clusterCIDR: 10.244.0.0/33\n", 3, "clusterCIDR \"10.244.0.0/33\" is not a CIDR; write prefixes like 10.244.0.0/16,fd00:10:244::/56"),
        ("mode: kernelspace\n", 3, "mode \"kernelspace\" is not a proxy mode; use nftables, iptables or ipvs"),
        ("detectLocalMode: BridgeInterface\n", 3, "detectLocalMode=BridgeInterface needs detectLocal.bridgeInterface, e.g. detectLocal.bridgeInterface=cni0"),
        ("nodePortAddresses: [primary, all]\n", 3, "nodePortAddresses \"all\" is not a CIDR or 'primary'; write e.g. 192.168.0.0/16,primary"),
        ("nftables:\n  masqueradeBit: 12\n", 4, "nftables.masqueradeBit 12: proxyd's nftables backend marks packets with bit 14 (0x4000) only; remove the field or set it to 14"),
        ("nftables:\n  syncPeriod: 1s\n  minSyncPeriod: 5s\n", 5, "nftables.minSyncPeriod (5s) must not exceed nftables.syncPeriod (1s)"),
        ("conntrack:\n  min: -1\n", 4, "conntrack.min -1 must not be negative (0 leaves the kernel's value)"),
        ("metricsBindAddress: localhost:10249\n", 3, "metricsBindAddress \"localhost:10249\" is not HOST:PORT; write e.g. 127.0.0.1:10249 (port 0 turns it off)"),
        ("oomScoreAdj: -1001\n", 3, "oomScoreAdj -1001 is out of range; use -1000 to 1000"),
        ("detectLocalMode: BridgeInterface\ndetectLocal:\n  bridgeInterface: \"cni 0\"\n", 5, "detectLocal.bridgeInterface \"cni 0\" is not a usable interface name: white space is not allowed; use printable ASCII without white space, '/', ':', '\"', '\\' or '*'"),
        ("mode: ipvs\nipvs:\n  udpTimeout: 600h\n", 5, "ipvs.udpTimeout 600h0m0s is out of range; an IPVS timeout can be at most 596h31m23s (the kernel's limit)"),
        ("mode: ipvs\nipvs: {scheduler: fastest}\n", 4, "ipvs.scheduler \"fastest\" is not an IPVS scheduler; use one of dh, lblc, lblcr, lc, mh, nq, rr, sed, sh, wlc, wrr"),
        ("nftables:\n  syncPeriod: 99999999999h\n", 4, "nftables.syncPeriod: \"99999999999h\" is out of range; a duration can be at most 2562047h47m16.854775807s (Go's limit)"),
        ("conntrack:\n  maxPerCore: 9223372036854775807\n", 4, "conntrack.maxPerCore 9223372036854775807 is out of range; use 0 to 2147483647"),
        ("conntrack:\n  tcpEstablishedTimeout: 2562047h\n", 4, "conntrack.tcpEstablishedTimeout 2562047h0m0s is out of range; a conntrack timeout can be at most 596523h14m7s"),
        ("clientConnection:\n  qps: 1e-300\n", 4, "clientConnection.qps 1e-300 is out of range; use 0 (the default, 5) or at least 0.01"),
    ])
    func badValuesInTheFileNameFileLineAndField(body: String, line: Int, message: String) throws {
        try Self.withFile(Self.header + body) { path in
            #expect(Self.message(["--config", path, "--objects", "x"]) == "\(path):\(line): \(message)")
        }
    }

    @Test(arguments: [
        (["--cluster-cidr", "10.244.0.0/33"], "--cluster-cidr \"10.244.0.0/33\" is not a CIDR; write prefixes like 10.244.0.0/16,fd00:10:244::/56"),
        (["--detect-local-mode", "BridgeInterface"], "--detect-local-mode=BridgeInterface needs --pod-bridge-interface, e.g. --pod-bridge-interface=cni0"),
        (["--iptables-min-sync-period", "1m"], "--iptables-min-sync-period (1m0s) must not exceed --iptables-sync-period (30s)"),
        (["--min-sync-period", "1m"], "--min-sync-period (1m0s) must not exceed --sync-period (30s)"),
        (["--conntrack-min=-1"], "--conntrack-min -1 must not be negative (0 leaves the kernel's value)"),
        (["--bind-address", "node-a"], "--bind-address \"node-a\" is not an IP address; write e.g. 0.0.0.0"),
        (["--v", "11"], "--v 11 is out of range; use 0 to 10"),
        (["--conntrack-max-per-core", "9223372036854775807"], "--conntrack-max-per-core 9223372036854775807 is out of range; use 0 to 2147483647"),
        (["--conntrack-udp-timeout", "2562047h"], "--conntrack-udp-timeout 2562047h0m0s is out of range; a conntrack timeout can be at most 596523h14m7s"),
        (["--kube-api-qps", "1e-300"], "--kube-api-qps 1e-300 is out of range; use 0 (the default, 5) or at least 0.01"),
        (["--detect-local-mode", "BridgeInterface", "--pod-bridge-interface", "cni0\" accept"],
         "--pod-bridge-interface \"cni0\\\" accept\" is not a usable interface name: '\"' is not allowed; use printable ASCII without white space, '/', ':', '\"', '\\' or '*'"),
        (["--detect-local-mode", "InterfaceNamePrefix", "--pod-interface-name-prefix", "averyveryverylongprefix"],
         "--pod-interface-name-prefix \"averyveryverylongprefix\" is not a usable interface name prefix: it is 23 bytes long; Linux allows at most 15"),
    ])
    func badFlagsNameTheFlag(arguments: [String], message: String) {
        #expect(Self.message(["--objects", "x"] + arguments) == message)
    }

    /// Durations past Go's range trapped in the parser ("Double value cannot be converted to Int64").
    @Test(arguments: [
        "--sync-period", "--min-sync-period", "--iptables-sync-period", "--iptables-min-sync-period", "--conntrack-tcp-timeout-established", "--conntrack-udp-timeout-stream",
        "--ipvs-sync-period", "--ipvs-tcp-timeout",
    ])
    func durationFlagsOutOfGosRangeAreErrorsNamingTheFlag(flag: String) {
        #expect(Self.message(["--objects", "x", flag, "2562048h"]) == """
            The value '2562048h' is invalid for '\(flag) <duration>': out of range; a duration can be at most \
            2562047h47m16.854775807s (Go's limit)
            """)
    }

    @Test func theLongestGoDurationIsAValidSyncPeriod() throws {
        let options = try Self.resolve(["--objects", "x", "--sync-period", "2562047h47m16.854775807s"])
        #expect(options.daemon.syncPeriod == GoDuration.maximum)
    }

    @Test func ignoredSettingsAreListedWithTheirReason() throws {
        let text = Self.header + "featureGates: {A: true}\noomScoreAdj: -500\nbindAddress: 192.168.0.2\n"
        let options = try Self.withFile(text) { try Self.resolve(["--config", $0, "--objects", "x"]) }
        #expect(options.ignoredSettings == [
            "featureGates A (proxyd has no feature gates)",
            "bindAddress (proxyd takes the node's primary IPs from its Node object)",
            "oomScoreAdj (set the OOM score adjustment of proxyd's container instead)",
        ])
    }

    // MARK: - --write-config-to

    @Test(arguments: [
        ["--objects", "x"],
        ["--objects", "x", "--proxy-mode", "iptables", "--masquerade-all", "--iptables-masquerade-bit", "9",
         "--cluster-cidr", "10.244.0.0/16", "--detect-local-mode", "NodeCIDR", "--nodeport-addresses", "10.0.0.0/8,primary",
         "--conntrack-max-per-core", "0", "--conntrack-udp-timeout", "1m30s", "--healthz-bind-address", "[::]:10256",
         "--sync-period", "2h", "--min-sync-period", "1.5s", "--service-proxy-name", "proxyd", "--v", "2"],
        ["--objects", "x", "--proxy-mode", "ipvs", "--ipvs-scheduler", "sh", "--ipvs-exclude-cidrs", "10.0.0.0/8,fd00::/8",
         "--ipvs-strict-arp", "--ipvs-tcp-timeout", "1h", "--ipvs-tcpfin-timeout", "1m", "--ipvs-udp-timeout", "10s",
         "--ipvs-sync-period", "2m", "--ipvs-min-sync-period", "500ms"],
    ])
    func writtenConfigurationReadsBackTheSame(arguments: [String]) throws {
        let options = try Self.resolve(arguments)
        let written = options.effectiveConfiguration.yaml()
        let readBack = try Self.withFile(written) { try Self.resolve(["--config", $0, "--objects", "x"]) }
        #expect(readBack.effectiveConfiguration == options.effectiveConfiguration, "\(written)")
        #expect(readBack.mode == options.mode)
        #expect(readBack.configuration.clusterCIDRs == options.configuration.clusterCIDRs)
        #expect(readBack.configuration.detectLocal == options.configuration.detectLocal)
        #expect(readBack.configuration.nodePortAddresses == options.configuration.nodePortAddresses)
        #expect(readBack.configuration.masqueradeAll == options.configuration.masqueradeAll)
        #expect(readBack.configuration.serviceProxyName == options.configuration.serviceProxyName)
        #expect(readBack.daemon == options.daemon)
        #expect(readBack.conntrack == options.conntrack)
        #expect(readBack.clientConnection == options.clientConnection)
        #expect(readBack.masqueradeBit == options.masqueradeBit)
        #expect(readBack.verbosity == options.verbosity)
        #expect(readBack.ipvs == options.ipvs)
    }

    @Test func everyFieldSurvivesWritingAndReading() throws {
        let original = try ConfigurationFile.parse(ConfigurationFileTests.everyField, file: "every.yaml").configuration.withDefaults()
        let readBack = try ConfigurationFile.parse(original.yaml(), file: "written.yaml").configuration
        #expect(readBack == original)
        #expect(readBack.withDefaults() == original)
    }

    @Test func defaultsAreAFixedPoint() throws {
        let once = KubeProxyConfiguration().withDefaults()
        #expect(once.withDefaults() == once)
        #expect(once.ignoredSettings().isEmpty, "a written default configuration warns about nothing")
        #expect(once.mode == "nftables" && once.nodePortAddresses == ["primary"])
        var iptables = KubeProxyConfiguration()
        iptables.mode = "iptables"
        #expect(iptables.withDefaults().nodePortAddresses == [])
        var ipv6 = KubeProxyConfiguration()
        ipv6.bindAddress = "::"
        #expect(ipv6.withDefaults().metricsBindAddress == "[::1]:10249")
    }

    /// The file `--write-config-to` writes with nothing given: every field, in kube-proxy's order, as kube-proxy
    /// writes it. Pins the field table's keys, order, defaults and YAML forms.
    @Test func theWrittenDefaultConfigurationIsKubeProxysFile() {
        #expect(KubeProxyConfiguration().withDefaults().yaml() == """
            apiVersion: kubeproxy.config.k8s.io/v1alpha1
            kind: KubeProxyConfiguration
            bindAddress: "0.0.0.0"
            bindAddressHardFail: false
            clientConnection:
              acceptContentTypes: ""
              burst: 10
              contentType: "application/json"
              kubeconfig: ""
              qps: 5.0
            clusterCIDR: ""
            configSyncPeriod: 15m0s
            conntrack:
              maxPerCore: 32768
              min: 131072
              tcpBeLiberal: false
              tcpCloseWaitTimeout: 1h0m0s
              tcpEstablishedTimeout: 24h0m0s
              udpStreamTimeout: 0s
              udpTimeout: 0s
            detectLocal:
              bridgeInterface: ""
              interfaceNamePrefix: ""
            detectLocalMode: "ClusterCIDR"
            enableProfiling: false
            featureGates: {}
            healthzBindAddress: "0.0.0.0:10256"
            hostnameOverride: ""
            iptables:
              localhostNodePorts: true
              masqueradeAll: false
              masqueradeBit: 14
              minSyncPeriod: 1s
              snatNodeInternalIP: false
              syncPeriod: 30s
            ipvs:
              excludeCIDRs: []
              minSyncPeriod: 0s
              scheduler: "rr"
              strictARP: false
              syncPeriod: 30s
              tcpFinTimeout: 0s
              tcpTimeout: 0s
              udpTimeout: 0s
            logging:
              flushFrequency: 5s
              format: "text"
              verbosity: 0
            metricsBindAddress: "127.0.0.1:10249"
            mode: "nftables"
            nftables:
              masqueradeAll: false
              masqueradeBit: 14
              minSyncPeriod: 1s
              syncPeriod: 30s
            nodePortAddresses:
            - "primary"
            oomScoreAdj: -999
            portRange: ""
            showHiddenMetricsForVersion: ""
            winkernel:
              enableDSR: false
              forwardHealthCheckVip: false
              networkName: ""
              rootHnsEndpointName: ""
              sourceVip: ""
            windowsRunAsService: false

            """)
    }

    /// A field still nil is written as kube-proxy writes an unset value, and proxyd's own `serviceProxyName` not
    /// at all.
    @Test func unsetFieldsAreWrittenAsKubeProxyWritesThem() {
        let written = KubeProxyConfiguration().yaml()
        for line in [
            "bindAddress: \"\"\n", "  burst: null\n", "  qps: 0\n", "configSyncPeriod: 0s\n", "  maxPerCore: null\n",
            "  tcpCloseWaitTimeout: null\n", "  udpTimeout: 0s\n", "featureGates: {}\n", "  localhostNodePorts: false\n",
            "  excludeCIDRs: null\n", "nodePortAddresses: null\n", "oomScoreAdj: null\n",
        ] {
            #expect(written.contains("\n" + line), "\(line)")
        }
        #expect(!written.contains("serviceProxyName"))
    }

    // MARK: - Helpers

    static func resolve(_ arguments: [String]) throws -> ResolvedOptions {
        let command = try ProxydCommand.parse(arguments)
        return try command.resolve()
    }

    /// The error message `arguments` produce, as the operator sees it.
    static func message(_ arguments: [String]) -> String? {
        do {
            _ = try resolve(arguments)
            return nil
        } catch let error as ConfigurationError {
            return error.description
        } catch {
            return ProxydCommand.message(for: error)
        }
    }

    static func withFile<T>(_ text: String, _ body: (String) throws -> T) throws -> T {
        let path = NSTemporaryDirectory() + "proxyd-config-\(UUID().uuidString).yaml"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try body(path)
    }
}
