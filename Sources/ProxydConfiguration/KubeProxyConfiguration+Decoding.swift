import Yams

extension KubeProxyConfiguration {
    /// Decodes the document's root node strictly: `apiVersion` and `kind` must be kube-proxy's, every field must
    /// have its type, and an unknown field anywhere is an error naming its path.
    public init(decoding root: Yams.Node, file: String) throws(ConfigurationError) {
        var document = try ConfigurationMapping(root, path: "", file: file)
        let apiVersion = try document.string("apiVersion")
        let kind = try document.string("kind")
        guard kind == Self.kind else {
            throw ConfigurationError(
                file: file, line: root.mark?.line, field: "kind",
                kind.map { "\"\($0)\" is not \(Self.kind)" } ?? "missing; this file must be a \(Self.kind)")
        }
        guard apiVersion == Self.apiVersion else {
            throw ConfigurationError(
                file: file, line: root.mark?.line, field: "apiVersion",
                (apiVersion.map { "\"\($0)\" is not supported" } ?? "missing") + "; use \(Self.apiVersion)")
        }
        self.init()
        for field in Self.fields { try field.read(&document, &self) }
        try document.finish()
    }
}
