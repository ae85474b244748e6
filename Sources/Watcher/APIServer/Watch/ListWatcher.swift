import Foundation
import Logging
import ServiceModel

/// Follows one resource: lists it (page by page), then watches from the list's resourceVersion, and turns both
/// into `ObjectEvent`s. client-go calls this a reflector.
///
/// - Important: Never loses an update: a watch resumes from the last resourceVersion it delivered; a 410 Gone
///   (status or `ERROR` event) relists, and the relist is diffed against what was delivered, so objects deleted
///   while disconnected become deletions. Failures and relists after 410 wait a capped jittered backoff (or the
///   server's Retry-After), reset by a watch that received events, for as long as the task runs. A watch silent
///   for `watchIdleTimeout` is replaced. An event that cannot be decoded is logged and skipped: the object keeps
///   its last good state, and the watch goes on.
struct ListWatcher: Sendable {
    let client: APIClient
    let resource: WatchedResource
    let settings: APIServerSource.Settings
    let logger: Logger

    struct Output: Sendable {
        var kind: ObjectKind
        var events: [ObjectEvent]
        /// True on the batch that ends the first complete list of this resource.
        var completesInitialList: Bool
    }

    /// What has been delivered, and where to resume.
    struct State {
        var known: [ObjectKey: KubernetesObject] = [:]
        var resourceVersion: String?
        var listed = false
        /// The current watch received an event (not an `ERROR`): the server accepted it and it streamed.
        var watchReceivedEvents = false
    }

    func run(emit: @escaping @Sendable (Output) async -> Void) async {
        var state = State()
        var backoff = settings.backoff
        var generator = SystemRandomNumberGenerator()
        while !Task.isCancelled {
            do {
                if state.resourceVersion == nil {
                    try await relist(&state, emit: emit)
                }
                let started = ContinuousClock.now
                state.watchReceivedEvents = false
                let delivered = try await watch(&state, emit: emit)
                if state.watchReceivedEvents { backoff.reset() }
                // A watch the server ends at once, with nothing in it, is a failure in disguise: do not spin.
                if delivered == 0 && ContinuousClock.now - started < .seconds(1) {
                    try await settings.sleep(backoff.next(using: &generator))
                }
            } catch let error as APIServerError where error.code == .gone {
                // A watch that worked and then fell behind relists after the initial delay; 410 after 410 backs off
                // further, as failures do, instead of relisting as fast as the server answers.
                if state.watchReceivedEvents { backoff.reset() }
                state.watchReceivedEvents = false
                let delay = backoff.next(using: &generator)
                logger.info("\(resource): \(error); relisting in \(delay)")
                state.resourceVersion = nil
                do { try await settings.sleep(delay) } catch { return }
            } catch {
                if Task.isCancelled || error is CancellationError { return }
                if state.watchReceivedEvents { backoff.reset() }
                state.watchReceivedEvents = false
                let delay = (error as? APIServerError)?.retryAfter.map { min($0, settings.maximumRetryAfter) }
                    ?? backoff.next(using: &generator)
                logger.warning("\(resource): \(error); retrying in \(delay)")
                do { try await settings.sleep(delay) } catch { return }
            }
        }
    }

    /// Lists every page and delivers the difference to what was delivered before.
    func relist(_ state: inout State, emit: @Sendable (Output) async -> Void) async throws {
        let (objects, resourceVersion) = try await listAll()
        let events = Self.events(from: state.known, to: objects)
        state.known = objects
        state.resourceVersion = resourceVersion
        let first = !state.listed
        state.listed = true
        logger.debug("\(resource): listed \(objects.count) at resourceVersion \(resourceVersion)")
        if !events.isEmpty || first { await emit(Output(kind: resource.kind, events: events, completesInitialList: first)) }
    }

    func listAll() async throws -> ([ObjectKey: KubernetesObject], String) {
        var objects: [ObjectKey: KubernetesObject] = [:]
        var continueToken: String?
        var resourceVersion: String?
        repeat {
            var query = selectorQuery
            query.append(URLQueryItem(name: "limit", value: "\(settings.pageSize)"))
            if let continueToken { query.append(URLQueryItem(name: "continue", value: continueToken)) }
            let response = try await client.get(
                path: resource.path, query: query, timeout: settings.requestTimeout, rateLimited: continueToken == nil)
            let body = try await response.collectBody()
            let page: ListPage
            do {
                page = try ListPage.decode(resource.kind, fromJSON: body)
            } catch {
                throw APIServerError(.decoding, "GET \(resource.path): \(error)")
            }
            for issue in page.issues { logger.error("list of \(resource): \(issue); ignoring this object") }
            for object in page.objects { objects[object.key] = object }
            // Every page of one list carries the resourceVersion of the same snapshot.
            resourceVersion = resourceVersion ?? page.resourceVersion
            continueToken = page.continueToken.flatMap { $0.isEmpty ? nil : $0 }
        } while continueToken != nil
        guard let resourceVersion, !resourceVersion.isEmpty else {
            throw APIServerError(.decoding, "GET \(resource.path): the list has no metadata.resourceVersion")
        }
        return (objects, resourceVersion)
    }

    /// Watches from `state.resourceVersion` until the server ends the watch; returns how many events it delivered.
    func watch(_ state: inout State, emit: @Sendable (Output) async -> Void) async throws -> Int {
        guard let from = state.resourceVersion else { return 0 }
        var query = selectorQuery
        query += [
            URLQueryItem(name: "watch", value: "1"),
            URLQueryItem(name: "resourceVersion", value: from),
            URLQueryItem(name: "allowWatchBookmarks", value: "true"),
            URLQueryItem(name: "timeoutSeconds", value: "\(Int.random(in: settings.watchTimeoutSeconds))"),
        ]
        let response = try await client.get(path: resource.path, query: query, timeout: settings.requestTimeout)
        let body = settings.watchIdleTimeout.map { limit in
            IdleWatchdog.guarding(
                response.body, idleLimit: limit,
                error: APIServerError(
                    .transport,
                    "watch from resourceVersion \(from): no data for \(limit) although bookmarks were asked for (a stalled connection); watching again"))
        } ?? response.body
        var framer = LineFramer()
        var delivered = 0
        for try await chunk in body {
            var events: [ObjectEvent] = []
            var failure: APIServerError?
            for line in try framer.append(chunk) {
                let event: WatchEvent
                do {
                    event = try WatchEvent.decode(resource.kind, fromJSON: line)
                } catch {
                    // The API server will not send this object differently on a retry, and a relist would skip it
                    // too: name it, keep the object's last good state, and go on.
                    logger.error("watch of \(resource): \(error); ignoring this event")
                    continue
                }
                if event.type != .error { state.watchReceivedEvents = true }
                Self.apply(event, to: &state, events: &events)
                if event.type == .error {
                    let status = event.status ?? APIStatus(message: "ERROR event without a status")
                    failure = status.isGone
                        ? APIServerError(.gone, "watch from resourceVersion \(from): \(status)", status: status.code)
                        : APIServerError(.httpStatus, "watch: ERROR event: \(status)", status: status.code)
                    break
                }
            }
            if !events.isEmpty {
                delivered += events.count
                await emit(Output(kind: resource.kind, events: events, completesInitialList: false))
            }
            if let failure { throw failure }
        }
        if framer.pendingByteCount > 0 {
            throw APIServerError(.transport, "watch stream ended in the middle of an event")
        }
        return delivered
    }

    /// Applies one watch event to the delivered state; appends the `ObjectEvent` it means.
    static func apply(_ event: WatchEvent, to state: inout State, events: inout [ObjectEvent]) {
        switch event.type {
        case .added, .modified:
            guard let object = event.object else { return }
            let previous = state.known.updateValue(object, forKey: object.key)
            events.append(previous == nil ? .added(object) : .modified(object))
        case .deleted:
            guard let object = event.object else { return }
            // The last state we delivered is what consumers hold; the event's may be newer.
            state.known.removeValue(forKey: object.key)
            events.append(.deleted(object))
        case .bookmark, .error:
            break
        }
        if event.type != .error, let version = event.resourceVersion, !version.isEmpty {
            state.resourceVersion = version
        }
    }

    /// What turns a consumer holding `old` into one holding `new`.
    static func events(from old: [ObjectKey: KubernetesObject], to new: [ObjectKey: KubernetesObject]) -> [ObjectEvent] {
        var events: [ObjectEvent] = []
        for (key, object) in old where new[key] == nil { events.append(.deleted(object)) }
        for (key, object) in new {
            if let previous = old[key] {
                if previous != object { events.append(.modified(object)) }
            } else {
                events.append(.added(object))
            }
        }
        return events
    }

    private var selectorQuery: [URLQueryItem] {
        var query: [URLQueryItem] = []
        if let labels = resource.labelSelector { query.append(URLQueryItem(name: "labelSelector", value: labels)) }
        if let fields = resource.fieldSelector { query.append(URLQueryItem(name: "fieldSelector", value: fields)) }
        return query
    }
}
