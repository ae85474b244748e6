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
        out.line("bindAddress", quoted: bindAddress)
        out.line("bindAddressHardFail", bindAddressHardFail)
        out.section("clientConnection") { out in
            out.line("acceptContentTypes", quoted: clientConnection.acceptContentTypes)
            out.line("burst", clientConnection.burst)
            out.line("contentType", quoted: clientConnection.contentType)
            out.line("kubeconfig", quoted: clientConnection.kubeconfig)
            out.line("qps", clientConnection.qps)
        }
        out.line("clusterCIDR", quoted: clusterCIDR)
        out.line("configSyncPeriod", configSyncPeriod)
        out.section("conntrack") { out in
            out.line("maxPerCore", conntrack.maxPerCore)
            out.line("min", conntrack.min)
            out.line("tcpBeLiberal", conntrack.tcpBeLiberal)
            out.line("tcpCloseWaitTimeout", conntrack.tcpCloseWaitTimeout, nullWhenUnset: true)
            out.line("tcpEstablishedTimeout", conntrack.tcpEstablishedTimeout, nullWhenUnset: true)
            out.line("udpStreamTimeout", conntrack.udpStreamTimeout)
            out.line("udpTimeout", conntrack.udpTimeout)
        }
        out.section("detectLocal") { out in
            out.line("bridgeInterface", quoted: detectLocal.bridgeInterface)
            out.line("interfaceNamePrefix", quoted: detectLocal.interfaceNamePrefix)
        }
        out.line("detectLocalMode", quoted: detectLocalMode)
        out.line("enableProfiling", enableProfiling)
        out.map("featureGates", featureGates ?? [:])
        out.line("healthzBindAddress", quoted: healthzBindAddress)
        out.line("hostnameOverride", quoted: hostnameOverride)
        out.section("iptables") { out in
            out.line("localhostNodePorts", iptables.localhostNodePorts)
            out.line("masqueradeAll", iptables.masqueradeAll)
            out.line("masqueradeBit", iptables.masqueradeBit)
            out.line("minSyncPeriod", iptables.minSyncPeriod)
            out.line("snatNodeInternalIP", iptables.snatNodeInternalIP)
            out.line("syncPeriod", iptables.syncPeriod)
        }
        out.section("ipvs") { out in
            out.list("excludeCIDRs", ipvs.excludeCIDRs)
            out.line("minSyncPeriod", ipvs.minSyncPeriod)
            out.line("scheduler", quoted: ipvs.scheduler)
            out.line("strictARP", ipvs.strictARP)
            out.line("syncPeriod", ipvs.syncPeriod)
            out.line("tcpFinTimeout", ipvs.tcpFinTimeout)
            out.line("tcpTimeout", ipvs.tcpTimeout)
            out.line("udpTimeout", ipvs.udpTimeout)
        }
        out.section("logging") { out in
            out.line("flushFrequency", logging.flushFrequency)
            out.line("format", quoted: logging.format)
            out.line("verbosity", logging.verbosity)
        }
        out.line("metricsBindAddress", quoted: metricsBindAddress)
        out.line("mode", quoted: mode)
        out.section("nftables") { out in
            out.line("masqueradeAll", nftables.masqueradeAll)
            out.line("masqueradeBit", nftables.masqueradeBit)
            out.line("minSyncPeriod", nftables.minSyncPeriod)
            out.line("syncPeriod", nftables.syncPeriod)
        }
        out.list("nodePortAddresses", nodePortAddresses)
        out.line("oomScoreAdj", oomScoreAdj)
        out.line("portRange", quoted: portRange)
        if let serviceProxyName { out.line("serviceProxyName", quoted: serviceProxyName) }
        out.line("showHiddenMetricsForVersion", quoted: showHiddenMetricsForVersion)
        out.section("winkernel") { out in
            out.line("enableDSR", winkernel.enableDSR)
            out.line("forwardHealthCheckVip", winkernel.forwardHealthCheckVip)
            out.line("networkName", quoted: winkernel.networkName)
            out.line("rootHnsEndpointName", quoted: winkernel.rootHnsEndpointName)
            out.line("sourceVip", quoted: winkernel.sourceVip)
        }
        out.line("windowsRunAsService", windowsRunAsService)
        return out.text
    }
}

/// Writes block-style YAML, one field per line.
private struct YAMLWriter {
    var text = ""
    var indent = ""

    mutating func line(_ key: String, _ value: String) {
        text += "\(indent)\(key): \(value)\n"
    }

    mutating func line(_ key: String, quoted value: String?) {
        line(key, Self.quote(value ?? ""))
    }

    mutating func line(_ key: String, _ value: Bool?) {
        line(key, value.map { "\($0)" } ?? "false")
    }

    mutating func line(_ key: String, _ value: Int?) {
        line(key, value.map { "\($0)" } ?? "null")
    }

    mutating func line(_ key: String, _ value: Double?) {
        line(key, value.map { "\($0)" } ?? "0")
    }

    mutating func line(_ key: String, _ value: GoDuration?, nullWhenUnset: Bool = false) {
        line(key, value.map { "\($0)" } ?? (nullWhenUnset ? "null" : "0s"))
    }

    mutating func list(_ key: String, _ values: [String]?) {
        guard let values, !values.isEmpty else { return line(key, values == nil ? "null" : "[]") }
        text += "\(indent)\(key):\n"
        for value in values { text += "\(indent)- \(Self.quote(value))\n" }
    }

    mutating func map(_ key: String, _ values: [String: Bool]) {
        guard !values.isEmpty else { return line(key, "{}") }
        text += "\(indent)\(key):\n"
        for (name, value) in values.sorted(by: { $0.key < $1.key }) { text += "\(indent)  \(Self.quote(name)): \(value)\n" }
    }

    mutating func section(_ key: String, _ body: (inout YAMLWriter) -> Void) {
        text += "\(indent)\(key):\n"
        let outer = indent
        indent += "  "
        body(&self)
        indent = outer
    }

    /// A double-quoted YAML scalar; YAML's double-quoted escapes are JSON's.
    static func quote(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\t": result += "\\t"
            case "\r": result += "\\r"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    let hex = String(scalar.value, radix: 16, uppercase: true)
                    result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result + "\""
    }
}
