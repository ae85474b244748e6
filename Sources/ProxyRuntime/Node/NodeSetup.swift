import Backends
import Foundation
import Logging
import ServiceModel

/// What proxyd does to the node before it syncs rules: kube-proxy's conntrack tuning (`--conntrack-*`, `conntrack`
/// in the configuration file), and what the mode's backend declares it needs (`NodeRequirements`: sysctls such as
/// the iptables mode's `route_localnet`, kernel modules, a dummy interface).
///
/// - Important: Refusals (a read-only `/sys`, a sysctl that is global outside the initial namespace, a module that
///   cannot be loaded) are warnings, never failures: a sync that needs what is missing fails with the kernel's own
///   reason.
public enum NodeSetup {
    /// Conntrack tuning and the mode's requirements: at daemon start, and alone by `--init-only`.
    public static func tune(_ conntrack: ConntrackTuning, requirements: NodeRequirements, logger: Logger) async {
        apply(NodeTuningApplier.settings(for: conntrack, cpuCount: NodeTuningApplier.onlineCPUs()) + requirements.settings, logger: logger)
        await prepareKernel(requirements, logger: logger)
    }

    /// The mode's requirements alone, for `--once` (which leaves conntrack tuning to the daemon and `--init-only`).
    public static func prepare(_ requirements: NodeRequirements, logger: Logger) async {
        apply(requirements.settings, logger: logger)
        await prepareKernel(requirements, logger: logger)
    }

    /// Applies settings in the current network namespace and logs what changed.
    @discardableResult
    static func apply(_ settings: [TuningSetting], logger: Logger) -> NodeTuningReport {
        let report = NodeTuningApplier().apply(settings)
        for change in report.changes {
            logger.info("set \(change.name)", metadata: ["from": "\(change.old.map(String.init) ?? "?")", "to": "\(change.new)"])
        }
        if !report.unchanged.isEmpty {
            logger.debug("node tuning already in place: \(report.unchanged.joined(separator: ", "))")
        }
        for warning in report.warnings { logger.warning("\(warning)") }
        return report
    }

    /// Loads the modules not loaded yet and creates the dummy interface.
    private static func prepareKernel(_ requirements: NodeRequirements, logger: Logger) async {
        for module in requirements.modules where !FileManager.default.fileExists(atPath: "/sys/module/\(module)") {
            logger.info("loading kernel module \(module)")
            await loadModule(module, logger: logger)
        }
        if let name = requirements.dummyInterface {
            do {
                if try NetworkInterfaces.createDummy(name) { logger.info("created interface \(name)") }
            } catch {
                logger.warning("cannot create interface \(name): \(error)")
            }
        }
    }

    private static func loadModule(_ module: String, logger: Logger) async {
        guard let modprobe = CommandLineTool.find("modprobe") else {
            logger.warning("cannot load kernel module \(module): modprobe is not installed (kmod)")
            return
        }
        do {
            let output = try await modprobe.run(["--", module])
            if !output.succeeded { logger.warning("cannot load kernel module \(module): \(output.stderr)") }
        } catch {
            logger.warning("cannot load kernel module \(module): \(error)")
        }
    }
}
