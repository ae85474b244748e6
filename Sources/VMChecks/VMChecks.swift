import ProxyTesting

/// Every check `proxyd-vmcheck` runs inside the VM, in order. The host runs them all in one boot (`IPVSVMTests`).
///
/// - Important: `IPVSModuleChecks` must come first: it needs a kernel that has not loaded `ip_vs` yet.
public enum VMChecks {
    public static let all: [VMCheck] = [
        IPVSModuleChecks.all, IPVSNetlinkChecks.all, IPVSInterfaceChecks.all, IPVSPlanChecks.all, IPVSTrafficChecks.all, IPVSProgramChecks.all,
        IPVSCleanupChecks.all,
    ].flatMap { $0 }

    public static var names: [String] { all.map(\.name) }
}
