import ServiceModel

extension IPVSDriver {
    /// Applies node settings in the driver's network namespace (sysctls under `net/` are per namespace; the driver
    /// runs on its kernel thread there).
    public func tune(_ settings: [TuningSetting]) -> NodeTuningReport {
        NodeTuningApplier().apply(settings)
    }

    /// The addresses of the driver's network namespace outside proxyd's dummy interface: the node's own, which
    /// NodePort virtual servers are created on (the dummy interface holds Service addresses).
    public func localAddresses() -> [IPAddress] {
        NetworkInterfaces.localAddresses(excludingInterfaces: [ProxydNames.ipvsInterface])
    }
}
