import Glibc
import Testing

extension Trait where Self == ConditionTrait {
    /// For suites that need root (network namespaces, netfilter, conntrack): skipped, saying why, when the tests do
    /// not run as root. `make test` runs as root and runs them; `make test-unit` runs only the suites without.
    public static var requiresRoot: Self {
        .enabled(
            if: geteuid() == 0,
            "needs root (network namespaces and the kernel's netfilter); run as root, or `make test-unit` for the tests without")
    }
}
