import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The default transport: URLSession with a delegate, so a watch's body arrives chunk by chunk (on Linux,
/// `URLSession.bytes(for:)` does not exist and `data(for:)` buffers the whole body).
///
/// On Linux (libcurl underneath) it trusts only the system CA bundle and cannot present client certificates;
/// `APITransportKind.choose` never picks it for configurations that need more.
public final class URLSessionTransport: APIServerTransport, Sendable {
    public var kind: APITransportKind { .urlSession }
    private let session: URLSession
    private let delegate: StreamingDelegate

    /// - Parameter idleTimeout: the longest silence on a connection; above the watch's `timeoutSeconds`.
    public init(idleTimeout: Duration = .seconds(660)) {
        let configuration = URLSessionConfiguration.ephemeral
        let seconds = Double(idleTimeout.components.seconds)
        configuration.timeoutIntervalForRequest = seconds
        configuration.timeoutIntervalForResource = 7 * 24 * 3600
        configuration.httpMaximumConnectionsPerHost = 16
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        configuration.urlCache = nil
        let delegate = StreamingDelegate()
        let queue = OperationQueue()
        queue.maxConcurrentOperationCount = 1
        self.delegate = delegate
        self.session = URLSession(configuration: configuration, delegate: delegate, delegateQueue: queue)
    }

    public func get(_ request: APIRequest) async throws -> APIResponse {
        var urlRequest = URLRequest(url: request.url)
        urlRequest.httpMethod = "GET"
        for (name, value) in request.headers { urlRequest.setValue(value, forHTTPHeaderField: name) }
        let task = session.dataTask(with: urlRequest)
        let delegate = self.delegate
        let timeout = request.timeout
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (head: CheckedContinuation<APIResponse, any Error>) in
                let (body, continuation) = AsyncThrowingStream.makeStream(of: Data.self)
                continuation.onTermination = { termination in
                    if case .cancelled = termination { task.cancel() }
                }
                delegate.register(task: task, head: head, body: body, continuation: continuation)
                task.resume()
                // The head must arrive within `timeout`; the body may then take as long as the watch lasts.
                Task {
                    try? await Task.sleep(for: timeout)
                    if delegate.failIfWaiting(task.taskIdentifier, APIServerError(.transport, "no response within \(timeout)")) {
                        task.cancel()
                    }
                }
            }
        } onCancel: {
            task.cancel()
        }
    }

    public func shutdown() async {
        session.invalidateAndCancel()
    }
}

/// Routes URLSession's per-task callbacks to the waiting request and its body stream.
private final class StreamingDelegate: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    private struct Entry {
        var head: CheckedContinuation<APIResponse, any Error>?
        var body: AsyncThrowingStream<Data, any Error>
        var continuation: AsyncThrowingStream<Data, any Error>.Continuation
    }

    private let lock = NSLock()
    private var entries: [Int: Entry] = [:]

    func register(
        task: URLSessionTask, head: CheckedContinuation<APIResponse, any Error>, body: AsyncThrowingStream<Data, any Error>,
        continuation: AsyncThrowingStream<Data, any Error>.Continuation
    ) {
        lock.withLock { entries[task.taskIdentifier] = Entry(head: head, body: body, continuation: continuation) }
    }

    /// Fails a request still waiting for its head; true when it was waiting.
    func failIfWaiting(_ identifier: Int, _ error: any Error) -> Bool {
        let head: CheckedContinuation<APIResponse, any Error>? = lock.withLock {
            guard let head = entries[identifier]?.head else { return nil }
            entries[identifier]?.head = nil
            return head
        }
        head?.resume(throwing: error)
        return head != nil
    }

    func urlSession(
        _ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
        completionHandler: @escaping (URLSession.ResponseDisposition) -> Void
    ) {
        let http = response as? HTTPURLResponse
        var headers: [String: String] = [:]
        for (name, value) in http?.allHeaderFields ?? [:] {
            if let name = name as? String, let value = value as? String { headers[name.lowercased()] = value }
        }
        let (head, body): (CheckedContinuation<APIResponse, any Error>?, AsyncThrowingStream<Data, any Error>?) = lock.withLock {
            guard let entry = entries[dataTask.taskIdentifier] else { return (nil, nil) }
            entries[dataTask.taskIdentifier]?.head = nil
            return (entry.head, entry.body)
        }
        completionHandler(head == nil ? .cancel : .allow)
        if let head, let body {
            head.resume(returning: APIResponse(status: http?.statusCode ?? 0, headers: headers, body: body))
        }
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        let continuation = lock.withLock { entries[dataTask.taskIdentifier]?.continuation }
        continuation?.yield(data)
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
        guard let entry = lock.withLock({ entries.removeValue(forKey: task.taskIdentifier) }) else { return }
        let failure = error.map { APIServerError(.transport, Self.describe($0)) }
        if let head = entry.head {
            head.resume(throwing: failure ?? APIServerError(.transport, "the connection closed before a response"))
        }
        if let failure { entry.continuation.finish(throwing: failure) } else { entry.continuation.finish() }
    }

    /// libcurl's text is in the error's description; NSURLError code -1 alone says nothing.
    private static func describe(_ error: any Error) -> String {
        let nsError = error as NSError
        return "\(nsError.localizedDescription) (\(nsError.domain) \(nsError.code))"
    }
}
