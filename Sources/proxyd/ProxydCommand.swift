import ArgumentParser
import Backends
import Foundation
import Logging
import ServiceModel
import Watcher

/// `proxyd`: a kube-proxy replacement. Parses and validates every flag (pure) before anything runs.
@main
struct ProxydCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "proxyd",
        abstract: "Proxies Kubernetes Services on this node (a kube-proxy replacement).",
        discussion: """
            proxyd follows Services, EndpointSlices and this node's Node object, computes what this node must
            forward, and programs the kernel with nftables (default), iptables or IPVS. Flag names are
            kube-proxy's where kube-proxy has them; boolean flags also accept kube-proxy's --flag=true form.

            Show what would be programmed for a set of manifests, without root and without touching anything:
              proxyd --objects examples/ --hostname-override node-a --cluster-cidr 10.244.0.0/16 --dry-run
            """
    )

    @Option(
        name: [.customLong("proxy-mode"), .customLong("mode")],
        help: ArgumentHelp("Backend that programs the kernel: nftables, iptables or ipvs.", valueName: "mode"))
    var proxyMode: ProxyMode = .nftables

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
    var detectLocalMode: String = "ClusterCIDR"

    @Option(help: ArgumentHelp("The pod bridge, for --detect-local-mode=BridgeInterface.", valueName: "interface"))
    var podBridgeInterface: String?

    @Option(help: ArgumentHelp(
        "Pod interface name prefix, for --detect-local-mode=InterfaceNamePrefix.", valueName: "prefix"))
    var podInterfaceNamePrefix: String?

    @Option(
        name: .customLong("nodeport-addresses"),
        help: ArgumentHelp(
            "Where NodePorts are served: comma-separated CIDRs (local addresses inside them) and/or 'primary' (the node's primary IPs). Default: primary for nftables, every local address for iptables and ipvs.",
            valueName: "cidrs"))
    var nodePortAddresses: String?

    @Flag(help: "Masquerade (SNAT) all traffic sent to Services, not only traffic from outside the pod network.")
    var masqueradeAll = false

    @Option(help: ArgumentHelp(
        "Also serve Services labelled service.kubernetes.io/service-proxy-name=<name>. Services labelled with any other name are left to their proxy.",
        valueName: "name"))
    var serviceProxyName: String?

    @Option(help: ArgumentHelp(
        "Read Services, EndpointSlices and Nodes from a JSON/YAML file or a directory of them instead of an API server.",
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

    @Option(help: ArgumentHelp(
        "What --dry-run prints: model (the desired-state table) or nft (the nftables transaction; nftables mode).",
        valueName: "format"))
    var output: OutputFormat?

    @Option(
        name: [.customLong("v"), .customLong("v", withSingleDash: true)],
        help: ArgumentHelp("Log verbosity: 0 (default), 2 for debug detail, 4 for trace.", valueName: "level"))
    var verbosity: Int = 0

    @OptionGroup(title: "Daemon")
    var daemon: DaemonOptions

    mutating func validate() throws {
        _ = try resolve()
    }

    func run() async throws {
        let options = try resolve()
        LoggingSystem.bootstrap { label in
            StderrLogHandler(logLevel: StderrLogHandler.level(forVerbosity: options.verbosity), label: label)
        }
        let logger = Logger(label: "proxyd")
        if options.cleanup {
            try await Cleanup(options: options, logger: logger).run()
        } else if options.initOnly {
            NodeSetup.tune(options, logger: logger)
        } else if options.dryRun {
            try DryRun(options: options, logger: logger).run()
        } else if options.once {
            try await SyncOnce(options: options, logger: logger).run()
        } else {
            let source = FileSource(path: options.objectsPath!, logger: Logger(label: "proxyd.files"))
            try await Daemon(options: options, source: source, logger: logger).run()
        }
    }

    /// Every flag checked and turned into values; errors say what to type instead.
    func resolve() throws -> ResolvedOptions {
        let clusterCIDRs = try Self.parseCIDRList(clusterCIDR ?? "", flag: "--cluster-cidr", example: "10.244.0.0/16,fd00:10:244::/56")
        if Dictionary(grouping: clusterCIDRs, by: \.family).values.contains(where: { $0.count > 1 }) {
            throw ValidationError("--cluster-cidr takes at most one prefix per IP family, e.g. 10.244.0.0/16,fd00:10:244::/56")
        }
        let detectLocal: DetectLocalMode
        switch detectLocalMode.lowercased() {
        case "clustercidr", "":
            detectLocal = .clusterCIDR
        case "nodecidr":
            detectLocal = .nodeCIDR
        case "bridgeinterface":
            guard let name = podBridgeInterface, !name.isEmpty else {
                throw ValidationError("--detect-local-mode=BridgeInterface needs --pod-bridge-interface, e.g. --pod-bridge-interface=cni0")
            }
            detectLocal = .bridgeInterface(name)
        case "interfacenameprefix":
            guard let prefix = podInterfaceNamePrefix, !prefix.isEmpty else {
                throw ValidationError("--detect-local-mode=InterfaceNamePrefix needs --pod-interface-name-prefix, e.g. --pod-interface-name-prefix=veth")
            }
            detectLocal = .interfaceNamePrefix(prefix)
        default:
            throw ValidationError("--detect-local-mode \"\(detectLocalMode)\" is not a mode; use ClusterCIDR, NodeCIDR, BridgeInterface or InterfaceNamePrefix")
        }
        let selectors = try nodePortAddresses.map(Self.parseNodePortAddresses) ?? proxyMode.defaultNodePortAddresses.map {
            switch $0 {
            case .primary: NodePortAddressSelector.primary
            case .cidr(let text): NodePortAddressSelector.cidr(CIDR(text)!)
            }
        }
        let format = output ?? (proxyMode == .nftables ? .nft : .model)
        if format == .nft, proxyMode != .nftables {
            throw ValidationError("--output=nft shows nftables rules; use it with --proxy-mode=nftables, or use --output=model")
        }
        guard (0...10).contains(verbosity) else {
            throw ValidationError("--v \(verbosity) is out of range; use 0 to 10")
        }
        if once && dryRun {
            throw ValidationError("--once applies rules and --dry-run only shows them; pick one")
        }
        if cleanup && (once || dryRun) {
            throw ValidationError("--cleanup removes proxyd's rules and exits; use it without --once and --dry-run")
        }
        if !cleanup && objects == nil {
            throw ValidationError("proxyd needs objects to work on; give them with --objects PATH")
        }
        let nodeName = (hostnameOverride?.trimmingWhitespace).flatMap { $0.isEmpty ? nil : $0.lowercased() }
            ?? LocalAddresses.hostName()
        let configuration = ProxyConfiguration(
            nodeName: nodeName, clusterCIDRs: clusterCIDRs, detectLocal: detectLocal, nodePortAddresses: selectors,
            masqueradeAll: masqueradeAll, serviceProxyName: serviceProxyName)
        return ResolvedOptions(
            mode: proxyMode, configuration: configuration, objectsPath: objects, once: once, dryRun: dryRun, cleanup: cleanup,
            daemon: daemon,
            output: format, verbosity: verbosity)
    }

    static func parseCIDRList(_ text: String, flag: String, example: String) throws -> [CIDR] {
        try text.split(separator: ",").map { $0.trimmingWhitespace }.filter { !$0.isEmpty }.map { item in
            guard let cidr = CIDR(item) else {
                throw ValidationError("\(flag) \"\(item)\" is not a CIDR; write prefixes like \(example)")
            }
            return cidr
        }
    }

    static func parseNodePortAddresses(_ text: String) throws -> [NodePortAddressSelector] {
        try text.split(separator: ",").map { $0.trimmingWhitespace }.filter { !$0.isEmpty }.map { item in
            if item.lowercased() == "primary" { return .primary }
            guard let cidr = CIDR(item) else {
                throw ValidationError("--nodeport-addresses \"\(item)\" is not a CIDR or 'primary'; write e.g. 192.168.0.0/16,primary")
            }
            return .cidr(cidr)
        }
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
        let arguments = normalizeBooleanFlags(
            Array(CommandLine.arguments.dropFirst()), flags: ["masquerade-all", "once", "dry-run", "cleanup"])
        do {
            var command = try parseAsRoot(arguments)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}

/// The validated command line.
struct ResolvedOptions: Sendable {
    var mode: ProxyMode
    var configuration: ProxyConfiguration
    var objectsPath: String?
    var once: Bool
    var dryRun: Bool
    var cleanup: Bool
    var daemon: DaemonOptions
    var output: OutputFormat
    var verbosity: Int
    /// The API server, when objects do not come from --objects files.
    var clientConnection = ClientConnectionSettings()
    /// Node tuning for connection tracking (applied at start and by --init-only).
    var conntrack = ConntrackTuning.kubeProxyDefaults
    /// --init-only: apply node tuning and exit.
    var initOnly = false
}
