import Foundation
import Logging
import ProxyTesting
import ServiceModel
import Testing
import Watcher

/// A temporary directory removed when the test ends.
final class TemporaryDirectory {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "proxyd-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        let file = path + "/" + name
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        return file
    }
}

// The daemon-mode tests await events from a running source: a regression that never delivers one fails here
// instead of holding up the whole suite.
@Suite("Reading objects from files", .timeLimit(.minutes(2)))
struct FileSourceTests {
    let serviceYAML = """
        apiVersion: v1
        kind: Service
        metadata: {name: web, namespace: shop}
        spec:
          clusterIP: 10.96.0.10
          ports: [{port: 80}]
        """

    @Test func multiDocumentYAMLYieldsEveryObject() throws {
        let directory = try TemporaryDirectory()
        let file = try directory.write("a.yaml", """
            # leading comment
            \(serviceYAML)
            ---
            apiVersion: discovery.k8s.io/v1
            kind: EndpointSlice
            metadata: {name: web-1, namespace: shop, labels: {kubernetes.io/service-name: web}}
            addressType: IPv4
            endpoints: [{addresses: [10.244.1.5]}]
            ---
            """)
        let contents = FileSource(path: file).load()
        #expect(contents.errors.isEmpty)
        #expect(contents.objects.keys.sorted().map(\.description) == ["EndpointSlice shop/web-1", "Service shop/web"])
    }

    @Test func directoryReadsJSONAndYAMLFilesInNameOrder() throws {
        let directory = try TemporaryDirectory()
        try directory.write("b.json", #"{"apiVersion":"v1","kind":"ServiceList","items":[{"metadata":{"name":"api"},"spec":{"clusterIP":"10.96.0.11"}}]}"#)
        try directory.write("a.yml", serviceYAML)
        try directory.write("notes.txt", "not a manifest")
        try directory.write(".hidden.yaml", "::: not even yaml")
        let contents = FileSource(path: directory.path).load()
        #expect(contents.errors.isEmpty)
        #expect(contents.files.map { ($0 as NSString).lastPathComponent } == ["a.yml", "b.json"])
        #expect(contents.objects.count == 2)
    }

    @Test func typeErrorNamesFileLineObjectAndField() throws {
        let directory = try TemporaryDirectory()
        let file = try directory.write("bad.yaml", """
            apiVersion: v1
            kind: List
            items:
              - apiVersion: v1
                kind: Service
                metadata: {name: ok}
                spec: {clusterIP: 10.96.0.1}
              - apiVersion: v1
                kind: Service
                metadata: {name: web, namespace: shop}
                spec:
                  ports:
                    - port: eighty
            """)
        let contents = FileSource(path: file).load()
        #expect(contents.errors.map(\.description) == ["\(file):13:17: Service shop/web: spec.ports[0].port: expected an integer"])
        #expect(contents.objects.count == 1, "the good item is still read")
    }

    @Test func yamlSyntaxErrorNamesFileAndLine() throws {
        let directory = try TemporaryDirectory()
        let file = try directory.write("broken.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: web\nspec: {}\n")
        let errors = FileSource(path: file).load().errors
        #expect(errors.count == 1)
        #expect(errors.first?.file == file)
        #expect(errors.first?.line != nil)
        #expect(errors.first?.message.hasPrefix("invalid YAML") == true)
    }

    @Test func missingPathIsAnError() {
        let errors = FileSource(path: "/nonexistent/proxyd/objects").load().errors
        #expect(errors.map(\.description) == ["/nonexistent/proxyd/objects: no such file or directory"])
    }

    @Test func objectDefinedTwiceWarnsAndTheLaterWins() throws {
        let directory = try TemporaryDirectory()
        try directory.write("a.yaml", serviceYAML)
        try directory.write("b.yaml", serviceYAML.replacingOccurrences(of: "10.96.0.10", with: "10.96.0.99"))
        let contents = FileSource(path: directory.path).load()
        #expect(contents.warnings.count == 1)
        guard case .service(let service) = contents.objects.values.first else { Issue.record("no Service"); return }
        #expect(service.spec.clusterIP == "10.96.0.99")
    }

    @Test func eventsBetweenReadingsAreDeletionsAdditionsAndModifications() {
        let a = KubernetesObject.node(Node(metadata: ObjectMeta(name: "a")))
        let b = KubernetesObject.node(Node(metadata: ObjectMeta(name: "b")))
        var b2 = Node(metadata: ObjectMeta(name: "b"))
        b2.metadata.labels = ["x": "y"]
        let c = KubernetesObject.node(Node(metadata: ObjectMeta(name: "c")))
        let events = FileSource.events(
            from: [a.reference: a, b.reference: b], to: [b.reference: .node(b2), c.reference: c])
        #expect(events == [.deleted(a), .modified(.node(b2)), .added(c)])
    }

    @Test func runDeliversInitialStateThenSyncedThenChanges() async throws {
        let directory = try TemporaryDirectory()
        try directory.write("a.yaml", serviceYAML)
        let (logger, logs) = CapturingLogHandler.logger()
        let source = FileSource(path: directory.path, pollInterval: .milliseconds(20), logger: logger)
        let (stream, continuation) = AsyncStream.makeStream(of: [ObjectEvent].self)
        let task = Task { try await source.run { continuation.yield($0) } }
        defer { task.cancel() }
        var iterator = stream.makeAsyncIterator()
        let first = await iterator.next()
        #expect(first?.count == 2)
        #expect(first?.last == .synced)

        // A broken edit is ignored; the next good edit is delivered as a modification.
        try directory.write("a.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: web")
        var logIterator = logs.makeAsyncIterator()
        let logged = await logIterator.next()
        #expect(logged?.0 == .error)
        #expect(logged?.1.contains("keeping its objects from the last reading without errors") == true)
        try directory.write("a.yaml", serviceYAML.replacingOccurrences(of: "10.96.0.10", with: "10.96.0.77"))
        let second = await iterator.next()
        guard case .modified(.service(let service))? = second?.first else {
            Issue.record("expected a modification, got \(String(describing: second))")
            return
        }
        #expect(service.spec.clusterIP == "10.96.0.77")

        try FileManager.default.removeItem(atPath: directory.path + "/a.yaml")
        let third = await iterator.next()
        #expect(third?.count == 1)
        if case .deleted(let object)? = third?.first { #expect(object.reference.description == "Service shop/web") } else {
            Issue.record("expected a deletion")
        }
    }

    // MARK: Hostile and malformed files

    @Test func jsonNestedTooDeepIsAnErrorNamingFileLineAndColumn() throws {
        let directory = try TemporaryDirectory()
        let prefix = #"{"apiVersion":"v1","kind":"Service","metadata":{"name":"evil"},"x":"#
        let file = try directory.write("deep.json", prefix + String(repeating: "[", count: 50_000) + String(repeating: "]", count: 50_000) + "}")
        let contents = FileSource(path: file).load()
        #expect(contents.objects.isEmpty)
        #expect(contents.errors.map(\.description) == ["\(file):1:\(prefix.utf8.count + 512): invalid JSON: objects and arrays nested more than 512 deep"])
    }

    /// libyaml (inside Yams) stops at 1,000 levels, flow or block style, before anything recurses.
    @Test(arguments: [
        ("x: " + String(repeating: "[", count: 50_000) + String(repeating: "]", count: 50_000) + "\n", 4),
        ("x:\n" + String(repeating: "- ", count: 50_000) + "1\n", 5),
        ("x: " + String(repeating: "{a: ", count: 50_000) + "1" + String(repeating: "}", count: 50_000) + "\n", 4),
    ])
    func yamlNestedTooDeepIsAnErrorNamingFileAndLine(yaml: String, line: Int) throws {
        let directory = try TemporaryDirectory()
        let file = try directory.write("deep.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: evil}\n" + yaml)
        let contents = FileSource(path: file).load()
        #expect(contents.objects.isEmpty)
        #expect(contents.errors.count == 1)
        let error = try #require(contents.errors.first)
        #expect(error.file == file && error.line == line, "\(error)")
        #expect(error.message.hasPrefix("invalid YAML") && error.message.contains("nesting"), "\(error)")
    }

    @Test func jsonSyntaxErrorNamesFileLineAndColumn() throws {
        let directory = try TemporaryDirectory()
        let file = try directory.write("broken.json", "{\n  \"apiVersion\": \"v1\",\n  \"kind\": \"Service\",\n  \"metadata\": {\"name\": \"web\"\n  \"spec\": {}\n}\n")
        #expect(FileSource(path: file).load().errors.map(\.description) == ["\(file):5:3: invalid JSON: unexpected character '\"'"])
    }

    /// The daemon's view of a directory: each file counts on its own.
    final class FollowedDirectory {
        let directory: TemporaryDirectory
        let task: Task<Void, any Error>
        var events: AsyncStream<[ObjectEvent]>.AsyncIterator
        var logs: AsyncStream<(Logger.Level, String)>.AsyncIterator

        init(_ directory: TemporaryDirectory) {
            self.directory = directory
            let (logger, logStream) = CapturingLogHandler.logger()
            let source = FileSource(path: directory.path, pollInterval: .milliseconds(20), logger: logger)
            let (stream, continuation) = AsyncStream.makeStream(of: [ObjectEvent].self)
            task = Task { try await source.run { continuation.yield($0) } }
            events = stream.makeAsyncIterator()
            logs = logStream.makeAsyncIterator()
        }

        deinit { task.cancel() }

        func nextBatch() async -> [ObjectEvent] { await events.next() ?? [] }

        /// The next error logged.
        func nextError() async -> String? {
            while let (level, message) = await logs.next() {
                if level == .error { return message }
            }
            return nil
        }
    }

    func service(_ name: String, ip: String) -> String {
        "apiVersion: v1\nkind: Service\nmetadata: {name: \(name), namespace: shop}\nspec: {clusterIP: \(ip), ports: [{port: 80}]}\n"
    }

    static func names(_ events: [ObjectEvent]) -> [String] {
        events.map { event in
            switch event {
            case .added(let object): "added \(object.metadata.name)"
            case .modified(let object): "modified \(object.metadata.name)"
            case .deleted(let object): "deleted \(object.metadata.name)"
            case .synced: "synced"
            }
        }
    }

    @Test func aMalformedFileAtStartDoesNotHoldUpTheOthers() async throws {
        let directory = try TemporaryDirectory()
        try directory.write("a.yaml", service("web", ip: "10.96.0.10"))
        let bad = try directory.write("b.json", "{\"apiVersion\": \"v1\", \"kind\": \"Service\",\n \"metadata\": {\"name\": api}}")
        let followed = FollowedDirectory(directory)
        // The good file is programmed and the node syncs; the bad one is an error naming file, line and column.
        #expect(Self.names(await followed.nextBatch()) == ["added web", "synced"])
        #expect(await followed.nextError() == "\(bad):2:23: invalid JSON: unexpected character 'a'; the objects that decoded still count")
        // Fixed, its objects arrive.
        try directory.write("b.json", #"{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "api"}, "spec": {"clusterIP": "10.96.0.11"}}"#)
        #expect(Self.names(await followed.nextBatch()) == ["added api"])
    }

    @Test func aFileThatBecomesMalformedKeepsItsLastGoodObjectsAndTheOthersStillUpdate() async throws {
        let directory = try TemporaryDirectory()
        try directory.write("a.yaml", service("web", ip: "10.96.0.10"))
        try directory.write("b.yaml", service("api", ip: "10.96.0.11") + "---\n" + service("db", ip: "10.96.0.12"))
        let followed = FollowedDirectory(directory)
        #expect(Self.names(await followed.nextBatch()) == ["added api", "added db", "added web", "synced"])

        // b.yaml breaks: its objects stay as they were; a.yaml's edit still arrives.
        let bad = try directory.write("b.yaml", service("api", ip: "10.96.0.99") + "---\nkind: Service\nmetadata: {name: db\n")
        #expect(await followed.nextError()?.hasPrefix("\(bad):") == true)
        try directory.write("a.yaml", service("web", ip: "10.96.0.20"))
        let edit = await followed.nextBatch()
        #expect(Self.names(edit) == ["modified web"])

        // b.yaml fixed with one object less: the change and the deletion arrive. Then deleted: its objects go.
        try directory.write("b.yaml", service("api", ip: "10.96.0.99"))
        #expect(Self.names(await followed.nextBatch()) == ["deleted db", "modified api"])
        try FileManager.default.removeItem(atPath: bad)
        #expect(Self.names(await followed.nextBatch()) == ["deleted api"])
    }

    @Test func aBadObjectInAFileNeverReadCleanIsSkippedAndTheRestCount() async throws {
        let directory = try TemporaryDirectory()
        try directory.write("a.yaml", service("web", ip: "10.96.0.10") + "---\n" + service("api", ip: "10.96.0.11").replacingOccurrences(of: "port: 80", with: "port: eighty"))
        let followed = FollowedDirectory(directory)
        #expect(Self.names(await followed.nextBatch()) == ["added web", "synced"])
        #expect(await followed.nextError()?.contains("Service shop/api: spec.ports[0].port: expected an integer") == true)
    }
}
