import Backends
import Foundation
import ProxyTesting

/// What proxyd says on a kernel without IPVS. Must run first in a fresh VM: the Debian kernel loads `ip_vs` on
/// the first request for the IPVS netlink family, so the check forbids module loading while it asks.
enum IPVSModuleChecks {
    static let all = [missingModule]

    static let modprobePath = "/proc/sys/kernel/modprobe"

    static let missingModule = VMCheck("a kernel without ip_vs gives an error naming the module and the kernel option") { check in
        try check.require(!FileManager.default.fileExists(atPath: "/sys/module/ip_vs"), "ip_vs is loaded already: this check must run first in a fresh VM")
        let original = try String(contentsOfFile: modprobePath, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        // The kernel runs this helper to load modules; /bin/false makes every load fail, as on a kernel without IPVS.
        try "/bin/false\n".write(toFile: modprobePath, atomically: false, encoding: .utf8)
        let refused: IPVSError?
        do throws(IPVSError) {
            _ = try IPVSNetlink()
            refused = nil
        } catch {
            refused = error
        }
        try "\(original)\n".write(toFile: modprobePath, atomically: false, encoding: .utf8)

        let error = try check.require(refused, "IPVS opened although the ip_vs module could not be loaded")
        check.expect(error.isMissingFromKernel, "code \(error.code), message \(error.message)")
        check.expect(error.message.contains("modprobe ip_vs") && error.message.contains("CONFIG_IP_VS"), error.message)

        // With module loading back, the same request loads ip_vs.
        _ = try IPVSNetlink()
        check.expect(FileManager.default.fileExists(atPath: "/sys/module/ip_vs"), "ip_vs was not loaded by the IPVS family request")
    }
}
