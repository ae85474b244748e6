import Foundation
import Yams

/// Reads a kubeconfig file the way kubectl does, for the parts proxyd uses: the current context (or a named
/// one), its cluster (`server`, `certificate-authority` / `-data`, `insecure-skip-tls-verify`) and its user
/// (`token` / `tokenFile`, `client-certificate` / `-data`, `client-key` / `-data`).
///
/// Relative paths are relative to the kubeconfig's directory. Every error names the file and the field
/// (`users[1].user.client-key`); authentication proxyd cannot perform (`exec`, `auth-provider`, basic auth) is
/// an error, never silently skipped.
public enum KubeConfig {
    public static func load(path: String, context: String? = nil) throws(ClientConfigurationError) -> APIServerConfiguration {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ClientConfigurationError(source: path, message: "cannot read the kubeconfig file (does it exist?)")
        }
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        return try parse(String(decoding: data, as: UTF8.self), path: path, directory: directory, context: context)
    }

    /// Parses kubeconfig text; `path` names it in errors and `directory` anchors relative paths.
    public static func parse(_ text: String, path: String, directory: String, context requested: String? = nil)
        throws(ClientConfigurationError) -> APIServerConfiguration
    {
        let root: Yams.Node
        do {
            guard let node = try Yams.compose(yaml: text) else {
                throw ClientConfigurationError(source: path, message: "the file is empty")
            }
            root = node
        } catch let error as ClientConfigurationError {
            throw error
        } catch {
            throw ClientConfigurationError(source: path, message: "invalid YAML: \(error)")
        }
        let file = Reader(path: path, directory: directory)
        guard root.mapping != nil else { throw file.error("", "expected a mapping (a kubeconfig has clusters, contexts and users)") }

        let contextName: String
        if let requested {
            contextName = requested
        } else {
            guard let current = try file.string(root, "current-context"), !current.isEmpty else {
                throw file.error("current-context", "missing: set it (kubectl config use-context NAME) or name a context")
            }
            contextName = current
        }
        let (contextPath, contextNode) = try file.named(root, list: "contexts", name: contextName, referencedFrom: "current-context")
        guard let context = contextNode["context"], context.mapping != nil else {
            throw file.error("\(contextPath).context", "missing")
        }
        guard let clusterName = try file.string(context, "cluster", at: "\(contextPath).context") else {
            throw file.error("\(contextPath).context.cluster", "missing")
        }
        let (clusterPath, clusterEntry) = try file.named(root, list: "clusters", name: clusterName, referencedFrom: "\(contextPath).context.cluster")
        guard let cluster = clusterEntry["cluster"], cluster.mapping != nil else { throw file.error("\(clusterPath).cluster", "missing") }
        let clusterAt = "\(clusterPath).cluster"
        guard let serverText = try file.string(cluster, "server", at: clusterAt) else { throw file.error("\(clusterAt).server", "missing") }
        let server = try APIServerConfiguration.parseServer(serverText, source: path, field: "\(clusterAt).server")

        var tls = APIServerConfiguration.TLS()
        if let (bytes, source) = try file.dataOrFile(cluster, at: clusterAt, data: "certificate-authority-data", file: "certificate-authority") {
            tls.certificateAuthorityPEM = bytes
            tls.certificateAuthoritySource = source
        }
        tls.insecureSkipVerify = try file.bool(cluster, "insecure-skip-tls-verify", at: clusterAt) ?? false
        if tls.insecureSkipVerify && tls.certificateAuthorityPEM != nil {
            throw file.error("\(clusterAt).insecure-skip-tls-verify", "cannot be true together with a certificate authority; remove one")
        }

        var credentials = APIServerConfiguration.Credentials.none
        if let userName = try file.string(context, "user", at: "\(contextPath).context"), !userName.isEmpty {
            let (userPath, userEntry) = try file.named(root, list: "users", name: userName, referencedFrom: "\(contextPath).context.user")
            let userAt = "\(userPath).user"
            let user = userEntry["user"] ?? Yams.Node.mapping([:])
            for unsupported in ["exec", "auth-provider", "username", "password"] where user[unsupported] != nil {
                throw file.error("\(userAt).\(unsupported)", "is not supported by proxyd; use token, tokenFile or a client certificate")
            }
            if let token = try file.string(user, "token", at: userAt), !token.isEmpty {
                credentials = .token(token)
            } else if let tokenFile = try file.string(user, "tokenFile", at: userAt), !tokenFile.isEmpty {
                let resolved = file.resolve(tokenFile)
                guard FileManager.default.isReadableFile(atPath: resolved) else {
                    throw file.error("\(userAt).tokenFile", "cannot read \"\(resolved)\"")
                }
                credentials = .tokenFile(resolved)
            }
            let certificate = try file.dataOrFile(user, at: userAt, data: "client-certificate-data", file: "client-certificate")
            let key = try file.dataOrFile(user, at: userAt, data: "client-key-data", file: "client-key")
            if let certificate, let key {
                tls.clientCertificatePEM = certificate.0
                tls.clientKeyPEM = key.0
                tls.clientCertificateSource = certificate.1
            } else if certificate != nil {
                throw file.error("\(userAt).client-key", "missing: client-certificate needs client-key (or client-key-data)")
            } else if key != nil {
                throw file.error("\(userAt).client-certificate", "missing: client-key needs client-certificate (or client-certificate-data)")
            }
        }
        return APIServerConfiguration(server: server, tls: tls, credentials: credentials, origin: "kubeconfig \(path) (context \(contextName))")
    }

    /// Field access with errors that name the file and the field.
    struct Reader {
        let path: String
        let directory: String

        func error(_ field: String, _ message: String) -> ClientConfigurationError {
            ClientConfigurationError(source: path, field: field, message: message)
        }

        func string(_ node: Yams.Node, _ key: String, at parent: String = "") throws(ClientConfigurationError) -> String? {
            guard let value = node[key] else { return nil }
            if case .scalar(let scalar) = value {
                if ["~", "null"].contains(scalar.string) && scalar.style == .plain { return nil }
                return scalar.string
            }
            throw error(join(parent, key), "expected a string")
        }

        func bool(_ node: Yams.Node, _ key: String, at parent: String) throws(ClientConfigurationError) -> Bool? {
            guard let text = try string(node, key, at: parent) else { return nil }
            switch text.lowercased() {
            case "true": return true
            case "false": return false
            default: throw error(join(parent, key), "expected true or false, found \"\(text)\"")
            }
        }

        /// The entry of `list` whose `name` is `name`, with its field path (`clusters[0]`).
        func named(_ root: Yams.Node, list: String, name: String, referencedFrom: String) throws(ClientConfigurationError) -> (String, Yams.Node) {
            guard let entries = root[list] else { throw error(list, "missing, but \(referencedFrom) names \"\(name)\"") }
            guard let sequence = entries.sequence else { throw error(list, "expected a list") }
            for (index, entry) in sequence.enumerated() where try string(entry, "name", at: "\(list)[\(index)]") == name {
                return ("\(list)[\(index)]", entry)
            }
            throw error(referencedFrom, "names \"\(name)\", which is not in \(list)")
        }

        /// Inline base64 (`…-data`) or a file (relative to the kubeconfig); both set is an error, like kubectl.
        func dataOrFile(_ node: Yams.Node, at parent: String, data dataKey: String, file fileKey: String)
            throws(ClientConfigurationError) -> (Data, String)?
        {
            let inline = try string(node, dataKey, at: parent).flatMap { $0.isEmpty ? nil : $0 }
            let file = try string(node, fileKey, at: parent).flatMap { $0.isEmpty ? nil : $0 }
            if inline != nil && file != nil {
                throw error(join(parent, fileKey), "set together with \(dataKey); use one of them")
            }
            if let inline {
                let compact = inline.filter { !$0.isWhitespace }
                guard let bytes = Data(base64Encoded: compact), !bytes.isEmpty else {
                    throw error(join(parent, dataKey), "is not base64")
                }
                return (bytes, "\(path): \(join(parent, dataKey))")
            }
            if let file {
                let resolved = resolve(file)
                guard let bytes = FileManager.default.contents(atPath: resolved) else {
                    throw error(join(parent, fileKey), "cannot read \"\(resolved)\"")
                }
                return (bytes, resolved)
            }
            return nil
        }

        func resolve(_ file: String) -> String {
            file.hasPrefix("/") ? file : URL(fileURLWithPath: directory).appendingPathComponent(file).path
        }

        private func join(_ parent: String, _ key: String) -> String { parent.isEmpty ? key : "\(parent).\(key)" }
    }
}
