import Backends
import ProxydConfiguration

/// The sync-period flags resolved for the mode that runs. `--sync-period` and `--min-sync-period` set the periods
/// of every mode. The mode-specific flags set them only for their modes, as kube-proxy's `processV1Alpha1Flags`
/// applies them: `--iptables-(min-)sync-period` in nftables and iptables mode, `--ipvs-(min-)sync-period` in ipvs
/// mode. When both a mode-independent flag and its mode-specific one are given, the mode-independent one wins (as in
/// kube-proxy's v1alpha2 flag handling, where the mode-specific ones applied only without `--sync-period`) and the
/// other is reported as ignored.
struct SyncPeriodFlags {
    /// The mode's sync period from the flags; nil: not given (the default).
    var syncPeriod: GoDuration?
    /// The mode's minimum sync period from the flags; nil: not given (the default).
    var minSyncPeriod: GoDuration?
    /// The flag each of the mode section's period fields is named by in errors (`nftables.syncPeriod` →
    /// `--sync-period`): the flag that set it, or, when none did, `--sync-period`/`--min-sync-period` if either of
    /// those was typed.
    var names: [String: String] = [:]
    /// The sync-period flags given that do not apply, each with why.
    var ignoredSettings: [String] = []

    init(daemon: DaemonOptions, ipvs: IPVSOptions, mode: ProxyMode) {
        let section = mode.rawValue
        let general = [
            ("syncPeriod", "--sync-period", daemon.syncPeriod), ("minSyncPeriod", "--min-sync-period", daemon.minSyncPeriod),
        ]
        let iptables = [
            ("syncPeriod", "--iptables-sync-period", daemon.iptablesSyncPeriod),
            ("minSyncPeriod", "--iptables-min-sync-period", daemon.iptablesMinSyncPeriod),
        ]
        let ipvsFlags = [
            ("syncPeriod", "--ipvs-sync-period", ipvs.ipvsSyncPeriod), ("minSyncPeriod", "--ipvs-min-sync-period", ipvs.ipvsMinSyncPeriod),
        ]
        let specific = mode == .ipvs ? ipvsFlags : iptables
        let generalGiven = general.contains { $0.2 != nil }
        var values: [String: GoDuration] = [:]
        for ((field, generalFlag, generalValue), (_, specificFlag, specificValue)) in zip(general, specific) {
            if let generalValue {
                values[field] = generalValue
                names["\(section).\(field)"] = generalFlag
                if specificValue != nil {
                    ignoredSettings.append("\(specificFlag) (\(generalFlag) is given and takes precedence)")
                }
            } else if let specificValue {
                values[field] = specificValue
                names["\(section).\(field)"] = specificFlag
            } else if generalGiven {
                names["\(section).\(field)"] = generalFlag
            }
        }
        syncPeriod = values["syncPeriod"]
        minSyncPeriod = values["minSyncPeriod"]
        // As kube-proxy: ipvs mode does not read --iptables-(min-)sync-period. (Outside ipvs mode the --ipvs-* flags
        // fill the ipvs section, reported with the other --ipvs-* flags.)
        if mode == .ipvs {
            ignoredSettings += iptables.filter { $0.2 != nil }.map {
                "\($0.1) (ipvs mode syncs by --sync-period and --min-sync-period, or --ipvs-sync-period and --ipvs-min-sync-period, as kube-proxy does)"
            }
        }
    }

    /// Writes the periods into the section of `mode`, over what the mode-specific flags wrote there.
    func apply(to configuration: inout KubeProxyConfiguration, mode: ProxyMode) {
        switch mode {
        case .nftables:
            configuration.nftables.syncPeriod = syncPeriod
            configuration.nftables.minSyncPeriod = minSyncPeriod
        case .iptables:
            configuration.iptables.syncPeriod = syncPeriod
            configuration.iptables.minSyncPeriod = minSyncPeriod
        case .ipvs:
            configuration.ipvs.syncPeriod = syncPeriod
            configuration.ipvs.minSyncPeriod = minSyncPeriod
        }
    }
}
