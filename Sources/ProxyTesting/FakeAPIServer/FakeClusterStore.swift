import Foundation
import ServiceModel

/// The fake API server's state, with etcd's and the watch cache's semantics that clients depend on: one
/// resourceVersion counter for every change, a bounded history of changes (a watch from a version older than the
/// history gets 410 Gone), watches that replay history then follow live changes (through label and field
/// selectors, so an object leaving a selector is a deletion for that watch), and paginated lists that serve one
/// consistent snapshot across pages. Also holds the injected faults.
actor FakeClusterStore {
    struct Stored: Sendable {
        var object: KubernetesObject
        var json: Data
    }

    /// One change, as the history keeps it.
    struct Change: Sendable {
        var resourceVersion: Int
        var kind: ObjectKind
        var type: WatchEvent.EventType
        var object: KubernetesObject
        var json: Data
        /// The object before an update (for selector transitions).
        var previous: KubernetesObject?
    }

    enum WatchElement: Sendable {
        case line(Data)
        /// Cut the connection in the middle of an event.
        case cut
    }

    struct Watch {
        var kind: ObjectKind
        var labels: LabelSelector?
        var fields: FieldSelector?
        var bookmarks: Bool
        var continuation: AsyncStream<WatchElement>.Continuation
        /// Stalled: open, but sent nothing more (a half-open connection, a stuck load balancer).
        var stalled = false
    }

    enum WatchStart: Sendable {
        case gone(currentResourceVersion: Int)
        case stream(id: Int, AsyncStream<WatchElement>)
    }

    /// A list being served page by page: the matching items of one snapshot.
    struct PagedList {
        var items: [Data]
        var resourceVersion: Int
    }

    struct Failure: Sendable {
        var status: Int
        var retryAfterSeconds: Int?
        /// How many more requests fail this way.
        var count = 1
    }

    private(set) var resourceVersion = 1000
    private var objects: [ObjectKind: [ObjectKey: Stored]] = [:]
    private var history: [Change] = []
    /// Every change after this version is in `history`.
    private var compactedThrough = 1000
    let historyLimit: Int
    private var watches: [Int: Watch] = [:]
    private var nextWatchID = 0
    private var pagedLists: [Int: PagedList] = [:]
    private var nextPagedListID = 0

    // Faults and observation.
    var pendingFailures: [Failure] = []
    var responseDelay: Duration = .zero
    var goneAsHTTPStatus = false
    var acceptedTokens: Set<String>?
    /// How many more watch requests are answered with 410 Gone whatever their version.
    private var goneWatches = 0
    private(set) var requestLog: [String] = []
    private var requestWaiters: [UUID: (count: Int, predicate: @Sendable (String) -> Bool, continuation: CheckedContinuation<Bool, Never>)] = [:]
    private(set) var listRequests = 0
    private(set) var watchRequests = 0

    init(historyLimit: Int) { self.historyLimit = max(1, historyLimit) }

    // MARK: Changes

    /// Creates or updates each object (one resourceVersion each); returns the last version.
    @discardableResult
    func put(_ newObjects: [KubernetesObject]) throws -> Int {
        for object in newObjects {
            resourceVersion += 1
            var stamped = object
            stamped.setResourceVersion("\(resourceVersion)")
            let json = try Self.encode(stamped)
            // Store what a client decodes, so that "client state == server state" compares like with like.
            let canonical = try ObjectDecoding.decodeObject(object.kind, fromJSON: json)
            let previous = objects[object.kind, default: [:]][object.key]?.object
            objects[object.kind, default: [:]][object.key] = Stored(object: canonical, json: json)
            record(Change(
                resourceVersion: resourceVersion, kind: object.kind, type: previous == nil ? .added : .modified,
                object: canonical, json: json, previous: previous))
        }
        return resourceVersion
    }

    /// Stores `json` verbatim as the object `placeholder` names (which also stands for it in selectors and
    /// `current()`): lists serve these bytes and watches get them in an event. For input no encoder produces.
    @discardableResult
    func putRaw(_ placeholder: KubernetesObject, json: Data) -> Int {
        resourceVersion += 1
        let previous = objects[placeholder.kind, default: [:]][placeholder.key]?.object
        objects[placeholder.kind, default: [:]][placeholder.key] = Stored(object: placeholder, json: json)
        record(Change(
            resourceVersion: resourceVersion, kind: placeholder.kind, type: previous == nil ? .added : .modified,
            object: placeholder, json: json, previous: previous))
        return resourceVersion
    }

    /// Deletes the objects that exist; returns the last version.
    @discardableResult
    func delete(_ references: [ObjectReference]) throws -> Int {
        for reference in references {
            guard let stored = objects[reference.kind]?.removeValue(forKey: reference.key) else { continue }
            resourceVersion += 1
            var stamped = stored.object
            stamped.setResourceVersion("\(resourceVersion)")
            let json = try Self.encode(stamped)
            record(Change(
                resourceVersion: resourceVersion, kind: reference.kind, type: .deleted, object: stamped, json: json,
                previous: stored.object))
        }
        return resourceVersion
    }

    func current() -> [ObjectReference: KubernetesObject] {
        var result: [ObjectReference: KubernetesObject] = [:]
        for (_, byKey) in objects { for (_, stored) in byKey { result[stored.object.reference] = stored.object } }
        return result
    }

    private func record(_ change: Change) {
        history.append(change)
        if history.count > historyLimit {
            let drop = history.count - historyLimit
            compactedThrough = history[drop - 1].resourceVersion
            history.removeFirst(drop)
        }
        for (_, watch) in watches where watch.kind == change.kind && !watch.stalled {
            if let line = Self.line(for: change, watch: watch) { watch.continuation.yield(.line(line)) }
        }
    }

    // MARK: Lists

    enum ListResult: Sendable {
        case page(Data)
        case expired
    }

    /// One page of a list; `continueToken` continues a paged list (expired once history is compacted past it).
    func list(kind: ObjectKind, labels: LabelSelector?, fields: FieldSelector?, limit: Int?, continueToken: String?) -> ListResult {
        listRequests += 1
        var list: PagedList
        var offset = 0
        var id: Int
        if let continueToken {
            let parts = continueToken.split(separator: ":")
            guard parts.count == 2, let listID = Int(parts[0]), let start = Int(parts[1]), let stored = pagedLists[listID] else {
                return .expired
            }
            list = stored
            offset = start
            id = listID
        } else {
            let matching = (objects[kind] ?? [:]).values.filter { Self.matches($0.object, labels, fields) }
                .sorted { $0.object.key < $1.object.key }
            list = PagedList(items: matching.map(\.json), resourceVersion: resourceVersion)
            id = nextPagedListID
            nextPagedListID += 1
        }
        let end = limit.map { min(list.items.count, offset + max(1, $0)) } ?? list.items.count
        var next: String?
        if end < list.items.count {
            next = "\(id):\(end)"
            if continueToken == nil {
                pagedLists[id] = list
                // Keep only recent lists, as the API server keeps only recent snapshots.
                if pagedLists.count > 64, let oldest = pagedLists.keys.min() { pagedLists.removeValue(forKey: oldest) }
            }
        } else if continueToken != nil {
            pagedLists.removeValue(forKey: id)
        }
        return .page(Self.listBody(kind: kind, items: list.items[offset..<end], resourceVersion: list.resourceVersion, continueToken: next))
    }

    // MARK: Watches

    func startWatch(kind: ObjectKind, labels: LabelSelector?, fields: FieldSelector?, bookmarks: Bool, from: Int?) -> WatchStart {
        watchRequests += 1
        if goneWatches > 0 {
            goneWatches -= 1
            return .gone(currentResourceVersion: resourceVersion)
        }
        if let from, from != 0, from < compactedThrough { return .gone(currentResourceVersion: resourceVersion) }
        let (stream, continuation) = AsyncStream.makeStream(of: WatchElement.self)
        let watch = Watch(kind: kind, labels: labels, fields: fields, bookmarks: bookmarks, continuation: continuation)
        if let from, from != 0 {
            for change in history where change.kind == kind && change.resourceVersion > from {
                if let line = Self.line(for: change, watch: watch) { continuation.yield(.line(line)) }
            }
        } else {
            // No version: the current state as ADDED events, then changes.
            for stored in (objects[kind] ?? [:]).values where Self.matches(stored.object, labels, fields) {
                continuation.yield(.line(Self.eventLine(type: .added, json: stored.json)))
            }
        }
        let id = nextWatchID
        nextWatchID += 1
        watches[id] = watch
        continuation.onTermination = { [weak self] _ in
            Task { await self?.removeWatch(id) }
        }
        return .stream(id: id, stream)
    }

    func removeWatch(_ id: Int) { watches.removeValue(forKey: id) }

    /// Ends a watch as its timeout does; a stalled one stays open (its end would never reach the client).
    func endWatch(_ id: Int) {
        guard watches[id]?.stalled != true else { return }
        watches.removeValue(forKey: id)?.continuation.finish()
    }

    var activeWatchCount: Int { watches.count }

    /// Sends a BOOKMARK with the current version to every watch that asked for bookmarks.
    func sendBookmarks() {
        for (_, watch) in watches where watch.bookmarks && !watch.stalled {
            watch.continuation.yield(.line(Self.bookmarkLine(kind: watch.kind, resourceVersion: resourceVersion)))
        }
    }

    /// Stalls every open watch: it stays open and sends nothing more, not even bookmarks.
    func stallWatches() {
        for id in watches.keys { watches[id]?.stalled = true }
    }

    /// The next `count` watch requests are answered with 410 Gone.
    func answerWatchesWithGone(_ count: Int) { goneWatches = count }

    /// Cuts every watch's connection in the middle of an event.
    func cutWatches() {
        for (id, watch) in watches {
            watch.continuation.yield(.cut)
            watch.continuation.finish()
            watches.removeValue(forKey: id)
        }
    }

    /// Ends every watch cleanly (as when its timeoutSeconds runs out).
    func endWatches() {
        for (id, watch) in watches {
            watch.continuation.finish()
            watches.removeValue(forKey: id)
        }
    }

    /// Sends `ERROR` 410 to every watch and ends it, as the API server does when a watch falls too far behind.
    func sendGoneToWatches() {
        for (id, watch) in watches {
            watch.continuation.yield(.line(Self.errorLine(Self.goneStatus(resourceVersion: resourceVersion))))
            watch.continuation.finish()
            watches.removeValue(forKey: id)
        }
    }

    /// Forgets the history (and paged lists): any watch from an older version now gets 410 Gone.
    func expireHistory() {
        compactedThrough = resourceVersion
        history.removeAll()
        pagedLists.removeAll()
    }

    // MARK: Faults and observation

    func takeFailure() -> Failure? {
        guard let first = pendingFailures.first else { return nil }
        if first.count <= 1 { pendingFailures.removeFirst() } else { pendingFailures[0].count -= 1 }
        return first
    }

    func injectFailure(_ failure: Failure) { if failure.count > 0 { pendingFailures.append(failure) } }
    func clearFailures() { pendingFailures.removeAll() }
    func setResponseDelay(_ delay: Duration) { responseDelay = delay }
    func setGoneAsHTTPStatus(_ value: Bool) { goneAsHTTPStatus = value }
    func setAcceptedTokens(_ tokens: Set<String>?) { acceptedTokens = tokens }
    func logRequest(_ line: String) {
        requestLog.append(line)
        if requestLog.count > 10_000 { requestLog.removeFirst(5_000) }
        for (id, waiter) in requestWaiters where requestLog.filter(waiter.predicate).count >= waiter.count {
            requestWaiters.removeValue(forKey: id)
            waiter.continuation.resume(returning: true)
        }
    }

    /// True once `count` logged requests match `predicate`, false after `timeout`.
    func waitForRequests(_ count: Int, matching predicate: @escaping @Sendable (String) -> Bool, timeout: Duration) async -> Bool {
        if requestLog.filter(predicate).count >= count { return true }
        let id = UUID()
        let timer = Task { [weak self] in
            try await Task.sleep(for: timeout)
            await self?.expireRequestWaiter(id)
        }
        defer { timer.cancel() }
        return await withCheckedContinuation { continuation in
            requestWaiters[id] = (count, predicate, continuation)
        }
    }

    private func expireRequestWaiter(_ id: UUID) {
        requestWaiters.removeValue(forKey: id)?.continuation.resume(returning: false)
    }

    // MARK: Encoding

    static func matches(_ object: KubernetesObject, _ labels: LabelSelector?, _ fields: FieldSelector?) -> Bool {
        (labels?.matches(object.metadata.labels) ?? true) && (fields?.matches(object) ?? true)
    }

    /// The line a watch sees for a change: selector transitions turn updates into additions or deletions.
    static func line(for change: Change, watch: Watch) -> Data? {
        let now = matches(change.object, watch.labels, watch.fields)
        let before = change.previous.map { matches($0, watch.labels, watch.fields) } ?? false
        switch change.type {
        case .added: return now ? eventLine(type: .added, json: change.json) : nil
        case .deleted: return before ? eventLine(type: .deleted, json: change.json) : nil
        default:
            switch (before, now) {
            case (true, true): return eventLine(type: .modified, json: change.json)
            case (false, true): return eventLine(type: .added, json: change.json)
            case (true, false): return eventLine(type: .deleted, json: change.json)
            case (false, false): return nil
            }
        }
    }

    static func eventLine(type: WatchEvent.EventType, json: Data) -> Data {
        var line = Data("{\"type\":\"\(type.rawValue)\",\"object\":".utf8)
        line.append(json)
        line.append(contentsOf: Array("}\n".utf8))
        return line
    }

    static func bookmarkLine(kind: ObjectKind, resourceVersion: Int) -> Data {
        Data("{\"type\":\"BOOKMARK\",\"object\":{\"kind\":\"\(kind)\",\"apiVersion\":\"\(apiVersion(kind))\",\"metadata\":{\"resourceVersion\":\"\(resourceVersion)\"}}}\n".utf8)
    }

    static func errorLine(_ status: APIStatus) -> Data {
        var line = Data("{\"type\":\"ERROR\",\"object\":".utf8)
        line.append((try? JSONEncoder().encode(status)) ?? Data("{}".utf8))
        line.append(contentsOf: Array("}\n".utf8))
        return line
    }

    static func goneStatus(resourceVersion: Int) -> APIStatus {
        APIStatus(message: "too old resource version (current \(resourceVersion))", reason: "Expired", code: 410)
    }

    static func apiVersion(_ kind: ObjectKind) -> String { kind == .endpointSlice ? "discovery.k8s.io/v1" : "v1" }

    static func listBody(kind: ObjectKind, items: ArraySlice<Data>, resourceVersion: Int, continueToken: String?) -> Data {
        var body = Data("{\"kind\":\"\(kind)List\",\"apiVersion\":\"\(apiVersion(kind))\",\"metadata\":{\"resourceVersion\":\"\(resourceVersion)\"".utf8)
        if let continueToken { body.append(contentsOf: Array(",\"continue\":\"\(continueToken)\"".utf8)) }
        body.append(contentsOf: Array("},\"items\":[".utf8))
        var first = true
        for item in items {
            if !first { body.append(UInt8(ascii: ",")) }
            first = false
            body.append(item)
        }
        body.append(contentsOf: Array("]}".utf8))
        return body
    }

    static func encode(_ object: KubernetesObject) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        switch object {
        case .service(let service): return try encoder.encode(service)
        case .endpointSlice(let slice): return try encoder.encode(slice)
        case .node(let node): return try encoder.encode(node)
        }
    }
}

extension KubernetesObject {
    /// Sets `metadata.resourceVersion`, as the API server does on every write.
    mutating func setResourceVersion(_ version: String) {
        switch self {
        case .service(var service):
            service.metadata.resourceVersion = version
            self = .service(service)
        case .endpointSlice(var slice):
            slice.metadata.resourceVersion = version
            self = .endpointSlice(slice)
        case .node(var node):
            node.metadata.resourceVersion = version
            self = .node(node)
        }
    }
}
