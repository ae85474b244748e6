/// What a mode needs of the node before its first sync, declared by its kind and applied by the runtime's node
/// setup (`--init-only`, the daemon, `--once`): sysctls, kernel modules, a dummy interface.
public struct NodeRequirements: Sendable, Hashable {
    /// Sysctls (and module parameters) the mode's rules need; read first, written only when they differ, a
    /// refusal a warning.
    public var settings: [TuningSetting]
    /// Kernel modules loaded before the first sync (with `modprobe`) unless already loaded or built in.
    public var modules: [String]
    /// A dummy interface the mode binds Service addresses to (IPVS): created before the first sync. Its addresses
    /// are Service addresses, not the node's: they are left out of the node's local addresses.
    public var dummyInterface: String?

    public init(settings: [TuningSetting] = [], modules: [String] = [], dummyInterface: String? = nil) {
        self.settings = settings
        self.modules = modules
        self.dummyInterface = dummyInterface
    }

    /// Interfaces whose addresses are not the node's own.
    public var excludedInterfaces: Set<String> { dummyInterface.map { [$0] } ?? [] }
}
