import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import ServiceModel

/// Turns one HTTP request into the API server's answer: injected faults first, then authentication, then a
/// list page or a watch stream.
enum FakeAPIHandler {
    struct Cut: Error {}

    static func handle(kind: ObjectKind, request: Request, store: FakeClusterStore) async -> Response {
        let query = request.uri.query ?? ""
        await store.logRequest("GET \(request.uri.path)\(query.isEmpty ? "" : "?" + query)")
        let delay = await store.responseDelay
        if delay > .zero { try? await Task.sleep(for: delay) }
        if let failure = await store.takeFailure() {
            var headers: HTTPFields = [:]
            if let seconds = failure.retryAfterSeconds { headers[.retryAfter] = "\(seconds)" }
            return status(failure.status, APIStatus(message: "injected failure", reason: failure.status == 429 ? "TooManyRequests" : "InternalError", code: failure.status), headers: headers)
        }
        if let tokens = await store.acceptedTokens {
            let header = request.headers[.authorization] ?? ""
            guard header.hasPrefix("Bearer "), tokens.contains(String(header.dropFirst(7))) else {
                return status(401, APIStatus(message: "Unauthorized", reason: "Unauthorized", code: 401))
            }
        }
        var parameters: [String: String] = [:]
        for item in URLComponents(string: "?" + query)?.queryItems ?? [] { parameters[item.name] = item.value ?? "" }
        var labels: LabelSelector?
        if let text = parameters["labelSelector"], !text.isEmpty {
            guard let selector = LabelSelector(text) else { return status(400, APIStatus(message: "invalid label selector \(text)", reason: "BadRequest", code: 400)) }
            labels = selector
        }
        var fields: FieldSelector?
        if let text = parameters["fieldSelector"], !text.isEmpty {
            guard let selector = FieldSelector(text) else { return status(400, APIStatus(message: "invalid field selector \(text)", reason: "BadRequest", code: 400)) }
            fields = selector
        }
        if ["1", "true"].contains(parameters["watch"] ?? "") {
            let from = parameters["resourceVersion"].flatMap { $0.isEmpty ? nil : Int($0) }
            let timeout = parameters["timeoutSeconds"].flatMap { Int($0) }.map { Duration.seconds($0) } ?? .seconds(1800)
            let start = await store.startWatch(
                kind: kind, labels: labels, fields: fields, bookmarks: parameters["allowWatchBookmarks"] == "true", from: from)
            switch start {
            case .gone(let current):
                let gone = FakeClusterStore.goneStatus(resourceVersion: current)
                if await store.goneAsHTTPStatus { return status(410, gone) }
                return Response(status: .ok, headers: [.contentType: "application/json"],
                    body: .init(byteBuffer: ByteBuffer(bytes: FakeClusterStore.errorLine(gone))))
            case .stream(let id, let stream):
                return Response(status: .ok, headers: [.contentType: "application/json", .transferEncoding: "chunked"],
                    body: ResponseBody { writer in
                        let timer = Task {
                            try await Task.sleep(for: timeout)
                            await store.endWatch(id)
                        }
                        defer { timer.cancel() }
                        for await element in stream {
                            switch element {
                            case .line(let line):
                                try await writer.write(ByteBuffer(bytes: line))
                            case .cut:
                                try await writer.write(ByteBuffer(string: "{\"type\":\"MODIFIED\",\"object\":{\"metadata\":{\"na"))
                                throw Cut()
                            }
                        }
                        try await writer.finish(nil)
                    })
            }
        }
        let limit = parameters["limit"].flatMap { Int($0) }.flatMap { $0 > 0 ? $0 : nil }
        let continueToken = parameters["continue"].flatMap { $0.isEmpty ? nil : $0 }
        switch await store.list(kind: kind, labels: labels, fields: fields, limit: limit, continueToken: continueToken) {
        case .page(let body):
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: body)))
        case .expired:
            return status(410, APIStatus(message: "the provided continue parameter is too old to display a consistent list result", reason: "Expired", code: 410))
        }
    }

    static func status(_ code: Int, _ body: APIStatus, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.contentType] = "application/json"
        let data = (try? JSONEncoder().encode(body)) ?? Data()
        return Response(status: .init(code: code), headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
