import ServiceModel

/// One proxy mode's backend as the rest of proxyd sees it: how it is built, what it needs of the node, what
/// `--dry-run` prints for it, what its failures are counted as, and how `--cleanup` removes what it installs.
///
/// `ProxyMode.kind` maps each mode to its kind: adding a backend is a folder under `Sources/Backends` (renderer,
/// driver, a `KernelProgram`, a kind) and one case in `ProxyMode`.
public protocol BackendKind: Sendable {
    static var mode: ProxyMode { get }

    /// The name of the mode's rules output for `--dry-run --output=NAME` (`nft`, `iptables`); nil while the mode
    /// has none.
    static var outputName: String? { get }

    /// What the runner's periodic syncs do and how often a full sync is forced.
    static var resync: ResyncPolicy { get }

    /// kube-proxy's metrics counting the mode's failed syncs.
    static var failureMetrics: FailureMetrics { get }

    /// Settles what the configuration leaves to the node (iptables: the flavour the node's rules are in, whether
    /// conntrack is liberal), with a note on each thing it read. Reads the node, never changes it; needs no
    /// privileges (the dry run settles too).
    static func settle(_ configuration: BackendConfiguration) async -> (BackendConfiguration, notes: [String])

    /// What the node must provide before the first sync: sysctls, kernel modules, a dummy interface.
    static func requirements(_ configuration: BackendConfiguration) -> NodeRequirements

    /// What a first sync would send to a node where proxyd has not run — what `--dry-run` prints. Pure; nil while
    /// the mode has no rules output.
    static func plan(_ states: [DesiredState], _ configuration: BackendConfiguration) -> BackendPlan?

    /// Opens the driver (in `configuration.networkNamespace`) and builds the backend.
    static func make(_ configuration: BackendConfiguration) async throws(BackendSyncError) -> any Backend

    /// The steps that remove everything the mode may have installed, in order; `--cleanup` runs every mode's.
    static var cleanupSteps: [CleanupStep] { get }
}

extension BackendKind {
    public static func settle(_ configuration: BackendConfiguration) async -> (BackendConfiguration, notes: [String]) {
        (configuration, [])
    }
}

/// The names of kube-proxy's counters of failed syncs of one mode.
public struct FailureMetrics: Sendable, Hashable {
    /// Counts every failed sync (`kubeproxy_sync_proxy_rules_nftables_sync_failures_total`).
    public var failures: String?
    /// Counts failed partial syncs (`kubeproxy_sync_proxy_rules_iptables_partial_restore_failures_total`).
    public var partialFailures: String?

    public init(failures: String? = nil, partialFailures: String? = nil) {
        self.failures = failures
        self.partialFailures = partialFailures
    }
}

/// What a first sync would send, as `--dry-run` prints it.
public struct BackendPlan: Sendable {
    /// Exactly the text the driver would send (nft commands, `iptables-restore` input, `ipvsadm`-like operations).
    public var text: String
    /// What the renderer resolved (two Services claiming one address and port).
    public var warnings: [String]

    public init(text: String, warnings: [String]) {
        self.text = text
        self.warnings = warnings
    }
}
