/// Capped, jittered exponential backoff between reconnects: `initial`, doubling up to `maximum`, each delay
/// stretched by a random factor in [1, 1 + jitter) so that many nodes do not reconnect in step.
///
/// - Important: A pure value: the random numbers come from the caller's generator, so tests replay exactly.
public struct Backoff: Sendable {
    public var initial: Duration
    public var maximum: Duration
    public var jitter: Double
    private var current: Duration?

    public init(initial: Duration = .milliseconds(800), maximum: Duration = .seconds(30), jitter: Double = 1.0) {
        self.initial = initial
        self.maximum = maximum
        self.jitter = jitter
    }

    /// The next delay (never above `maximum`).
    public mutating func next(using generator: inout some RandomNumberGenerator) -> Duration {
        let base = current.map { min($0 * 2, maximum) } ?? initial
        current = base
        let factor = 1 + Double.random(in: 0..<1, using: &generator) * jitter
        return min(base * factor, maximum)
    }

    /// After a success: the next failure starts again from `initial`.
    public mutating func reset() { current = nil }
}
