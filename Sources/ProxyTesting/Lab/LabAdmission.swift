/// Limits how many labs one test process has alive at once.
///
/// Swift Testing runs tests in parallel; dozens of labs built at the same time on a 2-core machine starve the
/// kernel's link-watch work (links stay "not ready" for seconds) and hold thousands of pipes open, past what
/// `select(2)`-based libraries such as libnftables accept (descriptors below FD_SETSIZE only). Labs wait
/// for a slot instead: tests still overlap, the machine stays responsive.
actor LabAdmission {
    static let shared = LabAdmission(limit: 4)

    private let limit: Int
    private var admitted = 0
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(limit: Int) {
        self.limit = limit
    }

    /// Suspends until fewer than `limit` labs are alive, then counts the caller in.
    func enter() async {
        if admitted < limit {
            admitted += 1
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    /// Counts a lab out; hands its slot to the longest waiter.
    func leave() {
        if waiting.isEmpty {
            admitted -= 1
        } else {
            waiting.removeFirst().resume()
        }
    }
}
