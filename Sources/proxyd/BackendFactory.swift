import ArgumentParser
import Backends
import Foundation
import Logging
import ProxydConfiguration

/// Builds the backend for a mode.
enum Backends {
    static func make(_ options: ResolvedOptions, logger: Logger) async throws -> any Backend {
        switch options.mode {
        case .nftables:
            do {
                return NftablesBackend(driver: try await NftablesDriver())
            } catch {
                throw ValidationError("cannot open nftables: \(error)")
            }
        case .iptables:
            let flavour = await iptablesFlavour(options, logger: logger)
            do {
                return IptablesBackend(driver: try IptablesDriver(flavour: flavour), settings: iptablesSettings(options, flavour: flavour))
            } catch {
                throw ValidationError("cannot use iptables: \(error)")
            }
        case .ipvs:
            throw ValidationError("--proxy-mode=ipvs is not available in this version; use --proxy-mode=nftables or iptables")
        }
    }

    /// The iptables backend's settings: the configuration's, and whether the node accepts out-of-window TCP
    /// packets (`nf_conntrack_tcp_be_liberal`, set by the configuration or already), in which case forwarded
    /// INVALID packets are not dropped, as kube-proxy decides it.
    /// `--iptables-flavour`, or with `auto` the flavour the node's rules are in (without privileges, as for
    /// `--dry-run`, the node's legacy tables cannot be read and nft is assumed when legacy ones exist).
    static func iptablesFlavour(_ options: ResolvedOptions, logger: Logger) async -> IptablesFlavour {
        switch options.iptablesFlavour {
        case .auto:
            let flavour = await IptablesDriver.detectFlavour()
            logger.log(
                level: options.dryRun ? .debug : .info, "iptables flavour detected from the node's rules", metadata: ["flavour": "\(flavour)"])
            return flavour
        case .nft: return .nft
        case .legacy: return .legacy
        }
    }

    static func iptablesSettings(_ options: ResolvedOptions, flavour: IptablesFlavour) -> IptablesSettings {
        let liberal = (try? String(contentsOfFile: "/proc/sys/net/netfilter/nf_conntrack_tcp_be_liberal", encoding: .utf8))
            .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) != "0" } ?? false
        return IptablesSettings(
            masqueradeBit: options.masqueradeBit, localhostNodePorts: options.localhostNodePorts,
            conntrackTCPBeLiberal: liberal || options.conntrack.tcpBeLiberal, flavour: flavour)
    }
}
