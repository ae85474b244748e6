/// kube-proxy's configuration file: a `KubeProxyConfiguration` of `kubeproxy.config.k8s.io/v1alpha1`, field for
/// field as upstream defines it (`k8s.io/kube-proxy/config/v1alpha1/types.go`), plus proxyd's `serviceProxyName`.
///
/// A value as written: every field is optional, nil meaning absent or `null`. ``withDefaults()`` fills in what
/// kube-proxy defaults; ``ResolvedOptions`` is computed from that. Fields proxyd does not act on are kept so
/// that `--write-config-to` writes a complete file (docs/configuration.md lists them and why).
///
/// - Important: As in kube-proxy, a zero value (`""`, `0s`, `0`) of a field with a default means "use the
///   default"; fields where 0 means something (conntrack sizes, `oomScoreAdj`, masquerade bits) are pointers
///   upstream and optionals here.
public struct KubeProxyConfiguration: Sendable, Equatable {
    public static let apiVersion = "kubeproxy.config.k8s.io/v1alpha1"
    public static let kind = "KubeProxyConfiguration"

    /// `clientConnection`: how to reach the API server.
    public struct ClientConnection: Sendable, Equatable {
        public var kubeconfig: String?
        /// Accepted and ignored: proxyd always asks for JSON.
        public var acceptContentTypes: String?
        /// Accepted and ignored: proxyd always asks for JSON.
        public var contentType: String?
        public var qps: Double?
        public var burst: Int?
    }

    /// `logging`: only `verbosity` is used (like `-v`); the rest is accepted and ignored.
    public struct Logging: Sendable, Equatable {
        public var format: String?
        public var flushFrequency: GoDuration?
        public var verbosity: Int?
    }

    /// `iptables`: the iptables mode's section (`syncPeriod`, `minSyncPeriod`, `masqueradeAll` count in iptables
    /// and ipvs mode; `masqueradeBit` in both).
    public struct IPTables: Sendable, Equatable {
        public var masqueradeBit: Int?
        public var masqueradeAll: Bool?
        public var localhostNodePorts: Bool?
        public var snatNodeInternalIP: Bool?
        public var syncPeriod: GoDuration?
        public var minSyncPeriod: GoDuration?
    }

    /// `ipvs`: validated in ipvs mode; no IPVS backend uses it yet.
    public struct IPVS: Sendable, Equatable {
        public var syncPeriod: GoDuration?
        public var minSyncPeriod: GoDuration?
        public var scheduler: String?
        public var excludeCIDRs: [String]?
        public var strictARP: Bool?
        public var tcpTimeout: GoDuration?
        public var tcpFinTimeout: GoDuration?
        public var udpTimeout: GoDuration?
    }

    /// `nftables`: the nftables mode's section.
    public struct NFTables: Sendable, Equatable {
        public var masqueradeBit: Int?
        public var masqueradeAll: Bool?
        public var syncPeriod: GoDuration?
        public var minSyncPeriod: GoDuration?
    }

    /// `winkernel`: Windows only; accepted and ignored.
    public struct Winkernel: Sendable, Equatable {
        public var networkName: String?
        public var sourceVip: String?
        public var enableDSR: Bool?
        public var rootHnsEndpointName: String?
        public var forwardHealthCheckVip: Bool?
    }

    /// `detectLocal`: the settings of `detectLocalMode` BridgeInterface and InterfaceNamePrefix.
    public struct DetectLocal: Sendable, Equatable {
        public var bridgeInterface: String?
        public var interfaceNamePrefix: String?
    }

    /// `conntrack`: node tuning of connection tracking.
    public struct Conntrack: Sendable, Equatable {
        public var maxPerCore: Int?
        public var min: Int?
        public var tcpEstablishedTimeout: GoDuration?
        public var tcpCloseWaitTimeout: GoDuration?
        public var tcpBeLiberal: Bool?
        public var udpTimeout: GoDuration?
        public var udpStreamTimeout: GoDuration?
    }

    public var featureGates: [String: Bool]?
    public var clientConnection = ClientConnection()
    public var logging = Logging()
    public var hostnameOverride: String?
    public var bindAddress: String?
    public var healthzBindAddress: String?
    public var metricsBindAddress: String?
    public var bindAddressHardFail: Bool?
    public var enableProfiling: Bool?
    public var showHiddenMetricsForVersion: String?
    public var mode: String?
    public var iptables = IPTables()
    public var ipvs = IPVS()
    public var nftables = NFTables()
    public var winkernel = Winkernel()
    public var detectLocalMode: String?
    public var detectLocal = DetectLocal()
    public var clusterCIDR: String?
    public var nodePortAddresses: [String]?
    public var oomScoreAdj: Int?
    public var conntrack = Conntrack()
    public var configSyncPeriod: GoDuration?
    public var portRange: String?
    public var windowsRunAsService: Bool?
    /// proxyd's addition (upstream has no such field): the same as `--service-proxy-name`.
    public var serviceProxyName: String?

    /// Nothing given: every field nil.
    public init() {}
}
