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
struct KubeProxyConfiguration: Sendable, Equatable {
    static let apiVersion = "kubeproxy.config.k8s.io/v1alpha1"
    static let kind = "KubeProxyConfiguration"

    /// `clientConnection`: how to reach the API server.
    struct ClientConnection: Sendable, Equatable {
        var kubeconfig: String?
        /// Accepted and ignored: proxyd always asks for JSON.
        var acceptContentTypes: String?
        /// Accepted and ignored: proxyd always asks for JSON.
        var contentType: String?
        var qps: Double?
        var burst: Int?
    }

    /// `logging`: only `verbosity` is used (like `-v`); the rest is accepted and ignored.
    struct Logging: Sendable, Equatable {
        var format: String?
        var flushFrequency: GoDuration?
        var verbosity: Int?
    }

    /// `iptables`: the iptables mode's section (`syncPeriod`, `minSyncPeriod`, `masqueradeAll` count in iptables
    /// and ipvs mode; `masqueradeBit` in both).
    struct IPTables: Sendable, Equatable {
        var masqueradeBit: Int?
        var masqueradeAll: Bool?
        var localhostNodePorts: Bool?
        var snatNodeInternalIP: Bool?
        var syncPeriod: GoDuration?
        var minSyncPeriod: GoDuration?
    }

    /// `ipvs`: validated in ipvs mode; no IPVS backend uses it yet.
    struct IPVS: Sendable, Equatable {
        var syncPeriod: GoDuration?
        var minSyncPeriod: GoDuration?
        var scheduler: String?
        var excludeCIDRs: [String]?
        var strictARP: Bool?
        var tcpTimeout: GoDuration?
        var tcpFinTimeout: GoDuration?
        var udpTimeout: GoDuration?
    }

    /// `nftables`: the nftables mode's section.
    struct NFTables: Sendable, Equatable {
        var masqueradeBit: Int?
        var masqueradeAll: Bool?
        var syncPeriod: GoDuration?
        var minSyncPeriod: GoDuration?
    }

    /// `winkernel`: Windows only; accepted and ignored.
    struct Winkernel: Sendable, Equatable {
        var networkName: String?
        var sourceVip: String?
        var enableDSR: Bool?
        var rootHnsEndpointName: String?
        var forwardHealthCheckVip: Bool?
    }

    /// `detectLocal`: the settings of `detectLocalMode` BridgeInterface and InterfaceNamePrefix.
    struct DetectLocal: Sendable, Equatable {
        var bridgeInterface: String?
        var interfaceNamePrefix: String?
    }

    /// `conntrack`: node tuning of connection tracking.
    struct Conntrack: Sendable, Equatable {
        var maxPerCore: Int?
        var min: Int?
        var tcpEstablishedTimeout: GoDuration?
        var tcpCloseWaitTimeout: GoDuration?
        var tcpBeLiberal: Bool?
        var udpTimeout: GoDuration?
        var udpStreamTimeout: GoDuration?
    }

    var featureGates: [String: Bool]?
    var clientConnection = ClientConnection()
    var logging = Logging()
    var hostnameOverride: String?
    var bindAddress: String?
    var healthzBindAddress: String?
    var metricsBindAddress: String?
    var bindAddressHardFail: Bool?
    var enableProfiling: Bool?
    var showHiddenMetricsForVersion: String?
    var mode: String?
    var iptables = IPTables()
    var ipvs = IPVS()
    var nftables = NFTables()
    var winkernel = Winkernel()
    var detectLocalMode: String?
    var detectLocal = DetectLocal()
    var clusterCIDR: String?
    var nodePortAddresses: [String]?
    var oomScoreAdj: Int?
    var conntrack = Conntrack()
    var configSyncPeriod: GoDuration?
    var portRange: String?
    var windowsRunAsService: Bool?
    /// proxyd's addition (upstream has no such field): the same as `--service-proxy-name`.
    var serviceProxyName: String?
}
