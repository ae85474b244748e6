extension FakeAPIServer {
    /// A kubeconfig naming one API server (plain HTTP or HTTPS trusted through the system bundle), with a bearer
    /// token if given: what tests, the end-to-end lab and the benchmark hand to `proxyd --kubeconfig`.
    ///
    /// `server` is the address proxyd will use — the server's own `url`, or a forwarded one inside a lab.
    public static func kubeconfig(server: String, token: String? = nil) -> String {
        let user = token == nil ? "" : ", user: proxyd"
        let users = token.map { "\nusers: [{name: proxyd, user: {token: \($0)}}]" } ?? ""
        return """
            apiVersion: v1
            kind: Config
            current-context: lab
            clusters: [{name: lab, cluster: {server: "\(server)"}}]
            contexts: [{name: lab, context: {cluster: lab\(user)}}]
            """ + users + "\n"
    }
}
