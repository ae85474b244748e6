import ServiceLifecycle

/// A long-running task as a lifecycle service: cancelled when the group shuts down gracefully.
public struct TaskService: ServiceLifecycle.Service {
    public let name: String
    public let body: @Sendable () async throws -> Void

    public init(name: String, _ body: @escaping @Sendable () async throws -> Void) {
        self.name = name
        self.body = body
    }

    public func run() async throws {
        try await cancelWhenGracefulShutdown {
            try await body()
        }
    }
}
