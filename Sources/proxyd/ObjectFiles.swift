import ArgumentParser
import Logging
import ServiceModel
import Watcher

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
