import Foundation
import Logging
import ServiceModel

/// Reads Services, EndpointSlices and Nodes from a manifest file or a directory of them (`--objects PATH`):
/// JSON or YAML, a `List`, a typed list, single objects, or multi-document YAML.
///
/// A directory contributes its `.json`, `.yaml` and `.yml` files (not subdirectories, like `kubectl -f`), in
/// name order. An object defined twice is taken from the later file, with a warning.
public struct FileSource: ObjectSource {
    public let path: String
    /// How often `run` re-reads the files.
    public var pollInterval: Duration
    public var logger: Logger

    public init(path: String, pollInterval: Duration = .seconds(2), logger: Logger = Logger(label: "proxyd.files")) {
        self.path = path
        self.pollInterval = pollInterval
        self.logger = logger
    }

    /// Everything read from the files: the objects (by reference, last definition wins) and what went wrong.
    public struct Contents: Sendable {
        public var objects: [ObjectReference: KubernetesObject] = [:]
        public var errors: [ManifestError] = []
        public var warnings: [String] = []
        public var files: [String] = []

        public var isValid: Bool { errors.isEmpty }
    }

    /// Reads every file now. Unreadable paths and malformed objects are reported in `errors`; every object that
    /// decoded is returned regardless.
    public func load() -> Contents {
        var contents = Contents()
        let files: [String]
        do {
            files = try manifestFiles()
        } catch {
            contents.errors.append(error)
            return contents
        }
        contents.files = files
        var origins: [ObjectReference: String] = [:]
        for file in files {
            guard let data = FileManager.default.contents(atPath: file) else {
                contents.errors.append(ManifestError(file: file, message: "cannot be read"))
                continue
            }
            let result = ManifestDecoder.decode(data, file: file)
            contents.errors += result.errors
            for located in result.objects {
                let reference = located.object.reference
                let origin = located.line.map { "\(file):\($0)" } ?? file
                if let previous = origins[reference] {
                    contents.warnings.append("\(reference) is defined in \(previous) and again in \(origin); using \(origin)")
                }
                origins[reference] = origin
                contents.objects[reference] = located.object
            }
        }
        return contents
    }

    /// The manifest files under `path`, sorted.
    func manifestFiles() throws(ManifestError) -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ManifestError(file: path, message: "no such file or directory")
        }
        guard isDirectory.boolValue else { return [path] }
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: path)
        } catch {
            throw ManifestError(file: path, message: "cannot list directory: \(error.localizedDescription)")
        }
        let base = path.hasSuffix("/") ? path : path + "/"
        return names.filter { name in
            !name.hasPrefix(".") && [".json", ".yaml", ".yml"].contains { name.hasSuffix($0) }
        }.sorted().map { base + $0 }
    }

    /// The events that turn a consumer holding `old` into one holding `new`: deletions, additions and
    /// modifications, in reference order.
    public static func events(
        from old: [ObjectReference: KubernetesObject], to new: [ObjectReference: KubernetesObject]
    ) -> [ObjectEvent] {
        var events: [ObjectEvent] = []
        for reference in old.keys.sorted() where new[reference] == nil {
            events.append(.deleted(old[reference]!))
        }
        for reference in new.keys.sorted() {
            let object = new[reference]!
            if let previous = old[reference] {
                if previous != object { events.append(.modified(object)) }
            } else {
                events.append(.added(object))
            }
        }
        return events
    }

    /// Follows the files: delivers every object as `added`, then `synced`, then the changes each time the files'
    /// contents change (checked every `pollInterval`). A reading with errors is logged and otherwise ignored:
    /// the last good objects stay in force, so a half-edited file never withdraws Services.
    public func run(deliver: @escaping @Sendable ([ObjectEvent]) async -> Void) async throws {
        var current: [ObjectReference: KubernetesObject] = [:]
        var isSynced = false
        var lastErrors: [ManifestError] = []
        while !Task.isCancelled {
            let contents = load()
            if contents.isValid {
                var batch = Self.events(from: current, to: contents.objects)
                current = contents.objects
                if !isSynced {
                    batch.append(.synced)
                    isSynced = true
                }
                if !batch.isEmpty { await deliver(batch) }
                lastErrors = []
            } else if contents.errors != lastErrors {
                for error in contents.errors { logger.error("\(error); keeping the last good objects") }
                lastErrors = contents.errors
            }
            try? await Task.sleep(for: pollInterval)
        }
    }
}
