import ArgumentParser
import Backends
import Foundation
import Logging
import ProxydConfiguration
import ProxyRuntime
import ServiceModel
import Watcher

/// `proxyd`: a kube-proxy replacement. Parses and validates every flag (pure) before anything runs.
@main
struct ProxydCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "proxyd",
        abstract: "Proxies Kubernetes Services on this node (a kube-proxy replacement).",
        discussion: """
            proxyd follows Services, EndpointSlices and this node's Node object, computes what this node must \
            forward, and programs the kernel with nftables (default), iptables or IPVS. Flag names are \
            kube-proxy's where kube-proxy has them; boolean flags also accept kube-proxy's --flag=true form.

            Without --once, --dry-run, --cleanup or --init-only, proxyd runs as a node daemon until SIGTERM: it \
            follows the cluster, syncs the kernel, and serves /healthz, /livez, /metrics, /debug/rules and \
            health-check node ports. Its rules stay in the kernel when it stops.

            Objects come from the API server (--kubeconfig, --master, or the in-cluster configuration), or from \
            manifest files with --objects.

            Show what would be programmed for a set of manifests, without root and without touching anything:
              proxyd --objects examples/ --hostname-override node-a --cluster-cidr 10.244.0.0/16 --dry-run

            Follow a cluster:
              proxyd --kubeconfig /etc/proxyd/kubeconfig --cluster-cidr 10.244.0.0/16

            With --config FILE, the KubeProxyConfiguration in FILE is the configuration, as in kube-proxy: flags \
            that set one of its fields are ignored (with a warning), except --hostname-override and -v. See \
            docs/configuration.md.
            """
    )

    @Option(help: ArgumentHelp(
        "Read the configuration from this KubeProxyConfiguration file (kubeproxy.config.k8s.io/v1alpha1, YAML or JSON); flags that set its fields are then ignored, except --hostname-override and -v.",
        valueName: "path"))
    var config: String?

    @Option(help: ArgumentHelp(
        "Write the effective configuration (defaults filled in) to this file as YAML and exit.", valueName: "path"))
    var writeConfigTo: String?

    @Option(
        name: [.customLong("proxy-mode"), .customLong("mode")],
        help: ArgumentHelp("Backend that programs the kernel: nftables (default), iptables or ipvs.", valueName: "mode"))
    var proxyMode: ProxyMode?

    @Option(help: ArgumentHelp(
        "Name of this node: decides which endpoints are local and which Node object is read (default: the host name).",
        valueName: "name"))
    var hostnameOverride: String?

    @Option(
        name: .customLong("cluster-cidr"),
        help: ArgumentHelp(
            "The pod network, one prefix per family, comma-separated (10.244.0.0/16,fd00:10:244::/56). Traffic from outside it to a ClusterIP is masqueraded.",
            valueName: "cidrs"))
    var clusterCIDR: String?

    @Option(help: ArgumentHelp(
        "How traffic from local pods is recognised: ClusterCIDR (source in --cluster-cidr), NodeCIDR (source in the Node's podCIDRs), BridgeInterface (arrives on --pod-bridge-interface) or InterfaceNamePrefix (arrives on an interface named --pod-interface-name-prefix*).",
        valueName: "mode"))
    var detectLocalMode: String?

    @Option(help: ArgumentHelp("The pod bridge, for --detect-local-mode=BridgeInterface (at most 15 bytes).", valueName: "interface"))
    var podBridgeInterface: String?

    @Option(help: ArgumentHelp(
        "Pod interface name prefix, for --detect-local-mode=InterfaceNamePrefix (at most 15 bytes).", valueName: "prefix"))
    var podInterfaceNamePrefix: String?

    @Option(
        name: .customLong("nodeport-addresses"),
        help: ArgumentHelp(
            "Where NodePorts are served: comma-separated CIDRs (local addresses inside them) and/or 'primary' (the node's primary IPs). A family with neither, or a zero-length CIDR, means every local address; loopback never serves NodePorts. Default: primary for nftables, every local address for iptables and ipvs.",
            valueName: "cidrs"))
    var nodePortAddresses: String?

    @Flag(help: "Masquerade (SNAT) all traffic sent to Services, not only traffic from outside the pod network.")
    var masqueradeAll = false

    @Option(help: ArgumentHelp(
        "The packet-mark bit that flags traffic to masquerade, in iptables and ipvs mode (0-31; default 14). The nftables backend always uses bit 14.",
        valueName: "bit"))
    var iptablesMasqueradeBit: Int?

    @Option(help: ArgumentHelp(
        "In iptables mode, also serve IPv4 NodePorts on 127.0.0.1 when NodePorts are served on every local address (sets route_localnet=1, and drops outside traffic to 127.0.0.0/8 that this would let in). Default true, as kube-proxy.",
        valueName: "bool"))
    var iptablesLocalhostNodeports: Bool?

    @Option(help: ArgumentHelp(
        "In iptables mode, which iptables programs the kernel: auto (the flavour the node's rules are already in, as kube-proxy's image detects it), nft or legacy.",
        valueName: "flavour"))
    var iptablesFlavour: IptablesFlavourOption = .auto

    @Option(help: ArgumentHelp(
        "Accepted for kube-proxy compatibility and ignored: proxyd takes the node's primary IPs from its Node object.",
        valueName: "ip"))
    var bindAddress: String?

    @Option(help: ArgumentHelp(
        "Also serve Services labelled service.kubernetes.io/service-proxy-name=<name>. Services labelled with any other name are left to their proxy.",
        valueName: "name"))
    var serviceProxyName: String?

    @Option(help: ArgumentHelp(
        "Read Services, EndpointSlices and Nodes from a JSON/YAML file or a directory of them instead of an API server (not with --kubeconfig or --master).",
        valueName: "path"))
    var objects: String?

    @Flag(help: "Sync once and exit: 0 when the rules were applied.")
    var once = false

    @Flag(help: "Show what would be programmed and exit; touches nothing and needs no privileges.")
    var dryRun = false

    @Flag(help: ArgumentHelp(
        "Remove everything proxyd may have installed, in any mode, and exit: 0 also when nothing was there.",
        discussion: """
            Removes the nftables tables ip/ip6 proxyd; the iptables chains named PROXYD-* in the nat and filter tables and \
            the rules jumping to them (iptables and ip6tables, nft and legacy); the IPVS virtual servers on the addresses \
            of the interface proxyd-ipvs0, then that interface; and the ipsets named PROXYD-*. Nothing else is touched. \
            Prints one line per artefact.
            """))
    var cleanup = false

    @Flag(help: "Tune the node (connection tracking) as the configuration says, which needs full root, and exit.")
    var initOnly = false

    @Option(help: ArgumentHelp(
        "What --dry-run prints: model (the desired-state table), nft (the nftables transaction; nftables mode) or iptables (the iptables-restore input; iptables mode). Default: the mode's own.",
        valueName: "format"))
    var output: OutputFormat?

    @Option(
        name: [.customLong("v"), .customShort("v")],
        help: ArgumentHelp("Log verbosity: 0 (default), 2 for debug detail, 4 for trace.", valueName: "level"))
    var verbosity: Int?

    @OptionGroup(title: "Daemon")
    var daemon: DaemonOptions

    @OptionGroup(title: "Connection tracking")
    var conntrack: ConntrackOptions

    @OptionGroup(title: "IPVS mode")
    var ipvs: IPVSOptions

    @OptionGroup(title: "API server")
    var apiServer: APIServerOptions

    mutating func validate() throws {
        _ = try resolve()
    }

    func run() async throws {
        let options = try resolve()
        LoggingSystem.bootstrap { label in
            StderrLogHandler(logLevel: StderrLogHandler.level(forVerbosity: options.verbosity), label: label)
        }
        let logger = Logger(label: "proxyd")
        if let path = options.writeConfigTo {
            try WriteConfig(options: options, path: path, logger: logger).run()
            return
        }
        Self.logConfiguration(options, logger: logger)
        if options.cleanup {
            try await Cleanup(options: options, logger: logger).run()
        } else if options.initOnly {
            await InitOnly(options: options, logger: logger).run()
        } else if options.dryRun {
            try await DryRun(options: options, logger: logger).run()
        } else if options.once {
            try await SyncOnce(options: options, logger: logger).run()
        } else {
            let source = try ClusterSource.make(options: options, logger: logger)
            try await Daemon(options: options, source: source, logger: logger).run()
        }
    }

    /// Every flag (and the --config file) checked and turned into values; errors say what to type instead.
    func resolve() throws -> ResolvedOptions {
        var options = try resolveConfiguration()
        let format = output ?? options.output
        if case .rules(let mode) = format, mode != options.mode {
            throw ValidationError("--output=\(format) shows \(mode) rules; use it with --proxy-mode=\(mode), or use --output=model")
        }
        if once && dryRun {
            throw ValidationError("--once applies rules and --dry-run only shows them; pick one")
        }
        if cleanup && (once || dryRun) {
            throw ValidationError("--cleanup removes proxyd's rules and exits; use it without --once and --dry-run")
        }
        if initOnly && (once || dryRun || cleanup) {
            throw ValidationError("--init-only tunes the node and exits; use it without --once, --dry-run and --cleanup")
        }
        if writeConfigTo != nil && (once || dryRun || cleanup || initOnly) {
            throw ValidationError("--write-config-to writes the configuration and exits; use it without --once, --dry-run, --cleanup and --init-only")
        }
        if objects != nil && apiServer.namesAPIServer {
            throw ValidationError("--objects reads objects from files, --kubeconfig and --master from an API server; pick one")
        }
        options.objectsPath = objects
        options.once = once
        options.dryRun = dryRun
        options.cleanup = cleanup
        options.initOnly = initOnly
        options.writeConfigTo = writeConfigTo
        options.output = format
        options.iptablesFlavour = iptablesFlavour
        // Not fields of the configuration file: they apply with and without --config.
        options.clientConnection.master = apiServer.master
        options.clientConnection.transport = apiServer.apiTransport.lowercased()
        return options
    }

    /// kube-proxy's command-line forms that ArgumentParser does not take as they are: `--flag=true|false` for
    /// boolean flags, and klog's `-v=2` (a short option takes no `=`; `--v=2` is the same option).
    static func normalizeArguments(_ arguments: [String]) -> [String] {
        normalizeBooleanFlags(
            arguments, flags: ["masquerade-all", "once", "dry-run", "cleanup", "init-only"] + ConntrackOptions.booleanFlags
                + IPVSOptions.booleanFlags
        ).map { $0.hasPrefix("-v=") ? "-" + $0 : $0 }
    }

    /// A process inherits its signal mask: started by a parent that blocks SIGTERM (a supervisor, a runtime that
    /// handles signals on a thread of its own), proxyd would never see the SIGTERM that asks it to stop. Unblock
    /// the signals graceful shutdown listens for before any other thread exists.
    static func acceptStopSignals() {
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGTERM)
        sigaddset(&signals, SIGINT)
        pthread_sigmask(SIG_UNBLOCK, &signals, nil)
    }

    /// kube-proxy's boolean flags accept `--flag=true` and `--flag=false`; ArgumentParser flags take no value.
    /// Rewrites those forms before parsing so that kube-proxy command lines work unchanged.
    static func normalizeBooleanFlags(_ arguments: [String], flags: [String]) -> [String] {
        arguments.compactMap { argument in
            for flag in flags {
                for prefix in ["--\(flag)=", "-\(flag)="] where argument.hasPrefix(prefix) {
                    let value = argument.dropFirst(prefix.count).lowercased()
                    if ["true", "1", "t"].contains(value) { return "--\(flag)" }
                    if ["false", "0", "f"].contains(value) { return nil }
                }
            }
            return argument
        }
    }

    static func main() async {
        acceptStopSignals()
        let arguments = normalizeArguments(Array(CommandLine.arguments.dropFirst()))
        do {
            var command = try parseAsRoot(arguments)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(reporting: error)
        }
    }

    /// Prints what `error` says (help to standard output, errors to standard error) and exits: 0 for help, 1 for
    /// every usage error (ArgumentParser's is 64, EX_USAGE; kube-proxy and scripts written for it expect 1),
    /// otherwise the error's own code.
    static func exit(reporting error: any Error) -> Never {
        let code = exitCode(for: error)
        // The message may quote a file or a flag (a field name, a value): no control characters reach the terminal.
        let message = StderrLogHandler.escaped(fullMessage(for: error), newline: "\n")
        if !message.isEmpty {
            if code.isSuccess {
                print(message)
            } else {
                FileHandle.standardError.write(Data((message + "\n").utf8))
            }
        }
        Foundation.exit(code == .validationFailure ? ExitCode.failure.rawValue : code.rawValue)
    }
}
