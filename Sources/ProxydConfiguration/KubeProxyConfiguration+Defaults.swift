import ServiceModel

extension KubeProxyConfiguration {
    /// This configuration with kube-proxy's defaults filled in (`pkg/proxy/apis/config/v1alpha1/defaults.go`):
    /// nil, and the zero value of a field that has a default, become the default.
    ///
    /// The result has every field set except `serviceProxyName` (nil when not given), is what proxyd runs with,
    /// logs and writes with `--write-config-to`, and is a fixed point: `c.withDefaults().withDefaults() ==
    /// c.withDefaults()`.
    public func withDefaults() -> KubeProxyConfiguration {
        var c = self
        for field in Self.fields { field.fillDefault(self, &c) }
        return c
    }

    /// kube-proxy's `AppendPortIfNeeded`: an address without a port gets the default one; empty gets the default
    /// address.
    public static func withPort(_ address: String?, defaultHost: String, port: Int) -> String {
        guard let address = nonEmpty(address) else { return "\(defaultHost):\(port)" }
        if let ip = IPAddress(address) {
            return ip.family == .ipv6 ? "[\(address)]:\(port)" : "\(address):\(port)"
        }
        if address.hasPrefix("["), address.hasSuffix("]") { return "\(address):\(port)" }
        return address
    }
}

private func nonEmpty(_ text: String?) -> String? {
    guard let text, !text.isEmpty else { return nil }
    return text
}
