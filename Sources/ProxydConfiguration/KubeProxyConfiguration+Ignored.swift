extension KubeProxyConfiguration {
    /// The fields set (to something other than their zero value) that proxyd accepts but does not act on, each
    /// with the reason, so that the operator is told once at start instead of wondering.
    ///
    /// Fields at their zero value or kube-proxy's default — as kube-proxy's and proxyd's `--write-config-to` and
    /// kubeadm write them (`oomScoreAdj: null` or `-999`, `winkernel` with empty strings, …) — are not reported.
    public func ignoredSettings() -> [String] {
        var ignored: [String] = []
        func note(_ condition: Bool, _ text: String) { if condition { ignored.append(text) } }
        let features = (featureGates ?? [:]).keys.sorted().joined(separator: ", ")
        note(!(featureGates ?? [:]).isEmpty, "featureGates \(features) (proxyd has no feature gates)")
        note(
            !["", "0.0.0.0", "::"].contains(bindAddress ?? ""),
            "bindAddress (proxyd takes the node's primary IPs from its Node object)")
        note(
            !["", "application/json"].contains(clientConnection.contentType ?? "")
                || !["", "application/json"].contains(clientConnection.acceptContentTypes ?? ""),
            "clientConnection.contentType and acceptContentTypes (proxyd always asks the API server for JSON)")
        note(!["", "text"].contains(logging.format ?? ""), "logging.format (proxyd logs text lines)")
        note(bindAddressHardFail == true, "bindAddressHardFail (not implemented)")
        note(enableProfiling == true, "enableProfiling (proxyd serves no /debug/pprof)")
        note(!(showHiddenMetricsForVersion ?? "").isEmpty, "showHiddenMetricsForVersion (proxyd has no hidden metrics)")
        note(iptables.snatNodeInternalIP == true, "iptables.snatNodeInternalIP (not implemented)")
        note(oomScoreAdj != nil && oomScoreAdj != -999, "oomScoreAdj (set the OOM score adjustment of proxyd's container instead)")
        note(
            ![.zero, .seconds(900)].contains(configSyncPeriod?.duration ?? .zero),
            "configSyncPeriod (proxyd's watches do not resync on a timer)")
        note(!(portRange ?? "").isEmpty, "portRange (unused, as in kube-proxy)")
        let windows = winkernel != Winkernel()
            && winkernel != Winkernel(networkName: "", sourceVip: "", enableDSR: false, rootHnsEndpointName: "", forwardHealthCheckVip: false)
        note(windows || windowsRunAsService == true, "winkernel and windowsRunAsService (Windows only)")
        return ignored
    }
}
