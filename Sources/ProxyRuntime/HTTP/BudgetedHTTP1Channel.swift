import HummingbirdCore
import Logging
import NIOCore

/// Hummingbird's HTTP/1.1 connection handling, with every accepted connection counted against a
/// ``ConnectionBudget`` (which closes the oldest connection when the budget is spent).
///
/// The idle timeout lives in `http1`'s configuration: Hummingbird closes a connection that has not delivered a
/// complete request head within it (a header still trickling in counts as idle: the decoder produces nothing
/// until the head is complete), or that sat idle that long after its last response.
public struct BudgetedHTTP1Channel: ServerChildChannel {
    public typealias Value = HTTP1Channel.Value

    public let http1: HTTP1Channel
    public let budget: ConnectionBudget

    public func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        budget.admit(channel)
        return http1.setup(channel: channel, logger: logger)
    }

    public func handle(value: Value, logger: Logger) async {
        await http1.handle(value: value, logger: logger)
    }
}
