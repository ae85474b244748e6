/// A client-side rate limit (`--kube-api-qps`, `--kube-api-burst`): `burst` requests at once, then `qps` per
/// second, like client-go's token bucket.
///
/// A pure value: `reserve(at:)` takes a token and says how long the caller must wait before using it (tokens
/// can go negative, so concurrent callers queue in order). `RateLimiter` does the waiting.
public struct TokenBucket: Sendable {
    public let qps: Double
    public let burst: Int
    private var tokens: Double
    private var last: ContinuousClock.Instant?

    /// `qps` ≤ 0 means unlimited.
    public init(qps: Double, burst: Int) {
        self.qps = qps
        self.burst = max(1, burst)
        self.tokens = Double(max(1, burst))
    }

    /// Takes one token; returns how long to wait before the request may go.
    public mutating func reserve(at now: ContinuousClock.Instant) -> Duration {
        guard qps > 0 else { return .zero }
        if let last {
            let elapsed = now - last
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            tokens = min(Double(burst), tokens + seconds * qps)
        }
        last = now
        tokens -= 1
        return tokens >= 0 ? .zero : .seconds(-tokens / qps)
    }
}

/// Waits for `TokenBucket` tokens; shared by every request of one client.
public actor RateLimiter {
    private var bucket: TokenBucket

    public init(qps: Double, burst: Int) { bucket = TokenBucket(qps: qps, burst: burst) }

    public func acquire() async throws {
        let wait = bucket.reserve(at: .now)
        if wait > .zero { try await Task.sleep(for: wait) }
    }
}
