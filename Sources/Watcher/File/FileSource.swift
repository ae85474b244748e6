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
        let (files, readings, listingError) = readAll()
        var contents = merge(files: files, objects: readings.mapValues(\.objects))
        if let listingError { contents.errors.append(listingError) }
        for file in files { contents.errors += readings[file]?.errors ?? [] }
        return contents
    }

    /// What one file held at one reading: the objects that decoded and the problems.
    struct FileReading {
        var objects: [ManifestDecoder.Located]
        var errors: [ManifestError]
    }

    /// Reads every manifest file under `path`: the files in order, what each held, and why the path could not be
    /// listed (then there are no files).
    func readAll() -> (files: [String], readings: [String: FileReading], listingError: ManifestError?) {
        let files: [String]
        do {
            files = try manifestFiles()
        } catch {
            return ([], [:], error)
        }
        var readings: [String: FileReading] = [:]
        for file in files {
            guard let data = FileManager.default.contents(atPath: file) else {
                readings[file] = FileReading(objects: [], errors: [ManifestError(file: file, message: "cannot be read")])
                continue
            }
            let result = ManifestDecoder.decode(data, file: file)
            readings[file] = FileReading(objects: result.objects, errors: result.errors)
        }
        return (files, readings, nil)
    }

    /// The objects of `files` in order (an object defined twice is taken from the later file, with a warning).
    func merge(files: [String], objects: [String: [ManifestDecoder.Located]]) -> Contents {
        var contents = Contents()
        contents.files = files
        var origins: [ObjectReference: String] = [:]
        for file in files {
            for located in objects[file] ?? [] {
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
    /// contents change (checked every `pollInterval`).
    ///
    /// Each file counts on its own, so one bad file never holds up the others:
    /// - A file read without errors contributes its objects; a deleted file's objects are deleted.
    /// - A file with errors (malformed, or holding a bad object) is logged, naming the file, line and column, and
    ///   keeps contributing the objects of its last reading without errors — as kube-proxy keeps the last good
    ///   state, so a half-edited file never withdraws Services. A file that has never been read without errors
    ///   contributes the objects that did decode (a bad object is skipped, the rest proxied). Once fixed, its
    ///   objects arrive.
    /// - A path that cannot be listed (gone, unreadable) is logged and the objects delivered so far stay.
    /// `synced` follows the first reading in any case (with no objects if the path cannot be listed): the node is
    /// programmed with what is good rather than waiting for every file to be.
    public func run(deliver: @escaping @Sendable ([ObjectEvent]) async -> Void) async throws {
        var delivered: [ObjectReference: KubernetesObject] = [:]
        var lastGood: [String: [ManifestDecoder.Located]] = [:]
        var isSynced = false
        var lastErrors: [ManifestError] = []
        var lastWarnings: [String] = []
        while !Task.isCancelled {
            let (files, readings, listingError) = readAll()
            var errors: [ManifestError] = []
            var contents: Contents?
            if let listingError {
                errors.append(listingError)
            } else {
                var inForce: [String: [ManifestDecoder.Located]] = [:]
                for file in files {
                    guard let reading = readings[file] else { continue }
                    if reading.errors.isEmpty {
                        inForce[file] = reading.objects
                    } else {
                        errors += reading.errors
                        inForce[file] = lastGood[file] ?? reading.objects
                    }
                }
                lastGood = lastGood.filter { files.contains($0.key) }
                for file in files where readings[file]?.errors.isEmpty == true { lastGood[file] = inForce[file] }
                contents = merge(files: files, objects: inForce)
            }
            if errors != lastErrors {
                for error in errors {
                    let keeps = lastGood[error.file] != nil ? "keeping its objects from the last reading without errors" : "the objects that decoded still count"
                    logger.error("\(error); \(listingError != nil ? "keeping the objects read before" : keeps)")
                }
                lastErrors = errors
            }
            if let contents {
                if contents.warnings != lastWarnings {
                    for warning in contents.warnings { logger.warning("\(warning)") }
                    lastWarnings = contents.warnings
                }
                var batch = Self.events(from: delivered, to: contents.objects)
                delivered = contents.objects
                if !isSynced {
                    batch.append(.synced)
                    isSynced = true
                }
                if !batch.isEmpty { await deliver(batch) }
            } else if !isSynced {
                // Nothing can be read at all: the node holds no objects from these files, and says so by syncing.
                isSynced = true
                await deliver([.synced])
            }
            try? await Task.sleep(for: pollInterval)
        }
    }
}
