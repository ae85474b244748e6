import ArgumentParser
import Backends
import Foundation
import Logging
import ServiceModel
import Watcher

/// `--dry-run`: reads the objects, computes the desired state of every served family and prints it.
struct DryRun {
    let options: ResolvedOptions
    let logger: Logger

    func run() async throws {
        let snapshot = try await ClusterSource.initialSnapshot(options: options, logger: logger)
        let states = DesiredStates.compute(snapshot: snapshot, options: options, logger: logger)
        let text: String
        switch options.output {
        case .model:
            text = states.map { DesiredStateTable.render($0, nodeName: options.configuration.nodeName) }.joined(separator: "\n")
        case .nft:
            // Exactly what --once would send to a node where proxyd has not run yet.
            let output = NftablesRenderer().full(states, previous: nil)
            for warning in output.warnings { logger.warning("\(warning)") }
            text = output.transaction.text
        case .iptables:
            // Exactly what --once would send to a node where proxyd has not run yet (nothing to list).
            let flavour = await Backends.iptablesFlavour(options, logger: logger)
            let output = IptablesRenderer(settings: Backends.iptablesSettings(options, flavour: flavour)).full(states, kernel: [:])
            for warning in output.warnings { logger.warning("\(warning)") }
            text = output.transaction.text
        }
        FileHandle.standardOutput.write(Data(text.utf8))
    }
}

/// The desired state of every served family, with the model's warnings logged once each.
enum DesiredStates {
    static func compute(snapshot: ClusterSnapshot, options: ResolvedOptions, logger: Logger) -> [DesiredState] {
        let model = ProxyModel(configuration: options.configuration)
        let node = NodeContext(
            snapshot: snapshot, nodeName: options.configuration.nodeName, localAddresses: LocalAddresses.read(),
            hostFamilies: LocalAddresses.hostFamilies())
        var seenWarnings = Set<ModelWarning>()
        for warning in model.unservedFamilyWarnings(node: node) { logger.warning("\(warning)") }
        var states: [DesiredState] = []
        for family in model.servedFamilies(node: node) {
            let output = model.desiredState(for: family, snapshot: snapshot, node: node)
            for warning in output.warnings where seenWarnings.insert(warning).inserted {
                logger.warning("\(warning)")
            }
            states.append(output.state)
        }
        return states
    }
}

/// `--once`: programs the kernel of the current network namespace once and exits.
struct SyncOnce {
    let options: ResolvedOptions
    let logger: Logger

    func run() async throws {
        // The snapshot is released before the sync: the kernel apply is the peak of proxyd's memory, and the
        // cluster objects are not needed once the desired states exist.
        let states = try await desiredStates()
        let backend = try await Backends.make(options, logger: logger)
        NodeSetup.prepareForRules(options, logger: logger)
        do {
            let result = try await backend.sync(states, changes: nil, forceFull: true)
            for warning in result.warnings { logger.warning("\(warning)") }
            logger.info(
                "synced",
                metadata: [
                    "mode": "\(backend.mode)", "sync": "full",
                    "servicePorts": "\(states.reduce(0) { $0 + $1.servicePortCount })",
                    "endpoints": "\(states.reduce(0) { $0 + $1.endpointCount })",
                ])
        } catch {
            logger.error("sync failed: \(error.message)")
            throw ExitCode(1)
        }
    }

    private func desiredStates() async throws -> [DesiredState] {
        let snapshot = try await ClusterSource.initialSnapshot(options: options, logger: logger)
        return DesiredStates.compute(snapshot: snapshot, options: options, logger: logger)
    }
}

/// `--cleanup`: removes everything proxyd may have installed, in any mode, and exits: 0 when nothing failed
/// (also when nothing was there), 1 otherwise. One log line per artefact.
struct Cleanup {
    let options: ResolvedOptions
    let logger: Logger

    func run() async throws {
        let report = await NodeCleanup().run()
        for item in report.items {
            if case .failed = item.outcome {
                logger.error("\(item)")
            } else {
                logger.info("\(item)")
            }
        }
        if !report.succeeded { throw ExitCode(1) }
    }
}

/// Builds the backend for a mode.
enum Backends {
    static func make(_ options: ResolvedOptions, logger: Logger) async throws -> any Backend {
        switch options.mode {
        case .nftables:
            do {
                return NftablesBackend(driver: try NftablesDriver())
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

/// Loading `--objects` for one-shot commands: any file error is fatal (exit 1), naming the file and line.
enum ObjectFiles {
    static func loadSnapshot(path: String, logger: Logger) throws -> ClusterSnapshot {
        let contents = FileSource(path: path).load()
        for warning in contents.warnings { logger.warning("\(warning)") }
        guard contents.isValid else {
            for error in contents.errors { logger.error("\(error)") }
            throw ExitCode(1)
        }
        logger.debug("read \(contents.objects.count) objects from \(contents.files.count) files under \(path)")
        var snapshot = ClusterSnapshot(contents.objects.values)
        snapshot.apply(.synced)
        return snapshot
    }
}
