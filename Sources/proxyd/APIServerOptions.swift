import ArgumentParser
import ProxydConfiguration
import Watcher

/// How proxyd reaches the API server (kube-proxy's flag names). Without `--objects`, proxyd follows the API
/// server given by `--kubeconfig` and/or `--master`, or the in-cluster configuration.
struct APIServerOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "Kubeconfig file with the API server's address, CA and credentials (its current context). Without it and --master, the in-cluster configuration (service account) is used.",
        valueName: "path"))
    var kubeconfig: String?

    @Option(help: ArgumentHelp(
        "The API server's address (https://HOST:PORT); overrides the kubeconfig's server. Alone, proxyd uses the pod's service-account credentials when present.",
        valueName: "url"))
    var master: String?

    @Option(name: .customLong("kube-api-qps"), help: ArgumentHelp("Requests per second to the API server (client-side limit). Default: 5; 0 means the default, as in kube-proxy.", valueName: "qps"))
    var kubeAPIQPS: Double?

    @Option(name: .customLong("kube-api-burst"), help: ArgumentHelp("Requests the client may send at once before --kube-api-qps applies. Default: 10.", valueName: "count"))
    var kubeAPIBurst: Int?

    @Option(
        name: .customLong("api-transport"),
        help: ArgumentHelp(
            "HTTP client for the API server: auto (URLSession, or async-http-client when the configuration has a CA of its own, a client certificate or insecure-skip-tls-verify, which URLSession on Linux cannot use), urlsession or async-http-client.",
            valueName: "transport"))
    var apiTransport: String = "auto"

    /// Whether the command line names an API server (as opposed to relying on in-cluster configuration).
    var namesAPIServer: Bool { kubeconfig != nil || master != nil }

    func validate() throws {
        if let kubeAPIQPS, !(kubeAPIQPS >= 0 && kubeAPIQPS.isFinite) {
            throw ValidationError("--kube-api-qps \(kubeAPIQPS) must not be negative, e.g. --kube-api-qps=5")
        }
        if let kubeAPIBurst, kubeAPIBurst < 1 {
            throw ValidationError("--kube-api-burst \(kubeAPIBurst) must be at least 1, e.g. --kube-api-burst=10")
        }
        guard APITransportKind(rawValue: apiTransport.lowercased()) != nil else {
            throw ValidationError("--api-transport \"\(apiTransport)\" is not a transport; use auto, urlsession or async-http-client")
        }
        if let master {
            do {
                _ = try APIServerConfiguration.parseServer(master, source: "--master", field: "")
            } catch {
                throw ValidationError("\(error)")
            }
        }
    }

    /// `--kubeconfig`, `--kube-api-qps` and `--kube-api-burst` are fields of the configuration file
    /// (`clientConnection`): with --config they are ignored, as kube-proxy ignores them.
    func apply(to configuration: inout KubeProxyConfiguration) {
        configuration.clientConnection.kubeconfig = kubeconfig
        configuration.clientConnection.qps = kubeAPIQPS
        configuration.clientConnection.burst = kubeAPIBurst
    }

    var givenFlags: [String] {
        [kubeconfig.map { _ in "--kubeconfig" }, kubeAPIQPS.map { _ in "--kube-api-qps" }, kubeAPIBurst.map { _ in "--kube-api-burst" }]
            .compactMap { $0 }
    }
}
