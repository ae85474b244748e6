/// How proxyd reaches the API server: `--kubeconfig`, `--master`, `--kube-api-qps`, `--kube-api-burst`,
/// `--api-transport`, or `clientConnection` in the config file. With no kubeconfig and no master, proxyd
/// uses the in-cluster configuration (KUBERNETES_SERVICE_HOST / _PORT and the service-account files),
/// unless `--objects` names files to read instead.
struct ClientConnectionSettings: Sendable, Equatable {
    /// Path of a kubeconfig file; nil: in-cluster configuration.
    var kubeconfig: String?
    /// Overrides the server named by the kubeconfig (or the in-cluster address).
    var master: String?
    /// Client-side rate limit for API requests (kube-proxy: 5 per second, burst 10).
    var qps: Double = 5
    var burst: Int = 10
    /// `auto` (pick from the configuration), `urlsession` or `async-http-client`.
    var transport: String = "auto"
}
