import ProxyTesting
import ServiceModel

/// New connections from the lab's client, batch after batch, until stopped: what traffic saw while something
/// else happened (a restart, an outage).
actor ConnectionProbe {
    private let lab: NetworkLab
    private let address: IPAddress
    private let port: UInt16
    private var outcomes: [ConnectionOutcome] = []
    private var stopping = false
    private var task: Task<Void, any Error>?
    private var waiters: [CheckedContinuation<Void, Never>] = []

    init(lab: NetworkLab, address: IPAddress, port: UInt16) {
        self.lab = lab
        self.address = address
        self.port = port
    }

    func start() {
        task = Task {
            do {
                while !self.stopping {
                    let batch = try await self.lab.connectAttempts(from: self.lab.client, to: self.address, port: self.port, count: 4)
                    self.record(batch.map(\.outcome))
                }
            } catch {
                self.stopping = true
                self.record([])  // wakes waiters; stop() rethrows the error
                throw error
            }
        }
    }

    private func record(_ batch: [ConnectionOutcome]) {
        outcomes += batch
        for waiter in waiters { waiter.resume() }
        waiters = []
    }

    /// Returns once a batch that started after this call has finished.
    func nextBatch() async {
        // The batch in flight may have started earlier: wait for it, then for one more.
        for _ in 0..<2 where !stopping {
            await withCheckedContinuation { waiters.append($0) }
        }
    }

    /// Lets the batch in flight finish and returns every outcome seen.
    func stop() async throws -> [ConnectionOutcome] {
        stopping = true
        try await task?.value
        for waiter in waiters { waiter.resume() }
        waiters = []
        return outcomes
    }
}
