extension KubeProxyConfiguration {
    /// The configuration as a YAML file that proxyd (and kube-proxy) read back: every field, in kube-proxy's order
    /// (alphabetical, as `--write-config-to` writes them), strings quoted, durations in Go's notation.
    ///
    /// Meant for ``withDefaults()``'s result; a field still nil is written as kube-proxy writes an unset value
    /// (`""`, `0s`, `null`), which reads back as the same default.
    public func yaml() -> String {
        var out = YAMLWriter()
        out.line("apiVersion", Self.apiVersion)
        out.line("kind", Self.kind)
        for field in Self.fields { field.write(self, &out) }
        return out.text
    }
}
