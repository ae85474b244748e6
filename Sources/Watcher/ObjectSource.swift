import ServiceModel

/// Something that reports the cluster's objects as `ObjectEvent`s: the API server, or manifest files.
///
/// - Important: `run` delivers batches in order and returns only when the task is cancelled (or throws for a
///   configuration error that retrying cannot fix). The first `.synced` is delivered after the complete initial
///   state and never before; transient failures (network, a malformed file mid-edit) are retried inside and
///   never withdraw objects that were already delivered.
public protocol ObjectSource: Sendable {
    func run(deliver: @escaping @Sendable ([ObjectEvent]) async -> Void) async throws
}
