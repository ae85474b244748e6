import ArgumentParser
import Foundation
import Logging
import ServiceModel
import Watcher

/// `--dry-run`: reads the objects, computes the desired state of every served family and prints it.
struct DryRun {
    let options: ResolvedOptions
    let logger: Logger

    func run() throws {
        let snapshot = try ObjectFiles.loadSnapshot(path: options.objectsPath!, logger: logger)
        let model = ProxyModel(configuration: options.configuration)
        let node = NodeContext(
            snapshot: snapshot, nodeName: options.configuration.nodeName, localAddresses: LocalAddresses.read())
        var seenWarnings = Set<ModelWarning>()
        var sections: [String] = []
        for family in model.servedFamilies(node: node) {
            let output = model.desiredState(for: family, snapshot: snapshot, node: node)
            for warning in output.warnings where seenWarnings.insert(warning).inserted {
                logger.warning("\(warning)")
            }
            switch options.output {
            case .model, .nft:
                sections.append(DesiredStateTable.render(output.state, nodeName: options.configuration.nodeName))
            }
        }
        FileHandle.standardOutput.write(Data(sections.joined(separator: "\n").utf8))
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
