/// How proxyd reaches the API server: `--kubeconfig`, `--master`, `--kube-api-qps`, `--kube-api-burst`,
/// `--api-transport`, or `clientConnection` in the config file. With no kubeconfig and no master, proxyd
/// uses the in-cluster configuration (KUBERNETES_SERVICE_HOST / _PORT and the service-account files),
/// unless `--objects` names files to read instead.
public struct ClientConnectionSettings: Sendable, Equatable {
    /// Path of a kubeconfig file; nil: in-cluster configuration.
    public var kubeconfig: String?
    /// Overrides the server named by the kubeconfig (or the in-cluster address).
    public var master: String?
    /// Client-side rate limit for API requests (kube-proxy: 5 per second, burst 10).
    public var qps: Double = 5
    public var burst: Int = 10
    /// `auto` (pick from the configuration), `urlsession` or `async-http-client`.
    public var transport: String = "auto"
}
