import Backends
import Logging
import ProxyRuntime
import ProxydConfiguration

/// `--init-only`: what kube-proxy's init container does — conntrack tuning and what the mode needs of the node —
/// which needs full root, then exit.
struct InitOnly {
    let options: ResolvedOptions
    let logger: Logger

    func run() async {
        let configuration = await BackendSetup.settled(options, logger: logger)
        await NodeSetup.tune(options.conntrack, requirements: options.mode.kind.requirements(configuration), logger: logger)
    }
}
