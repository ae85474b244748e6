import CLinux
import Foundation
import Glibc

/// A dedicated OS thread on which kernel calls run one at a time, optionally inside another network namespace —
/// and the serial executor of the actors that own kernel contexts (`NftablesDriver`, `IPVSDriver`,
/// `ConntrackReconciler`): their methods run on this thread, so their C contexts are plain actor state.
///
/// Netlink sockets belong to the namespace of the thread that opens them, and libnftables / libnl contexts are
/// not thread-safe; a thread of our own gives both a fixed home and keeps blocking calls off Swift's cooperative
/// pool. Entering a namespace affects only this thread. Nothing here blocks a caller: starting waits for the thread
/// asynchronously, and work is awaited, never waited for.
///
/// - Important: Jobs run in submission order, only ever on this thread. After `stop()`, `perform` fails with
///   `KernelThread.Stopped` instead of running anywhere else (another thread would be in the wrong network
///   namespace); jobs of actors pinned to the thread still run on it, and the thread ends when it is released.
public final class KernelThread: SerialExecutor, Sendable {
    private let queue: JobQueue
    public let name: String

    /// Starts the thread; with `networkNamespace` (a path such as `/run/netns/NAME`) it enters that namespace
    /// first and fails if it cannot.
    public init(name: String, networkNamespace: String? = nil) async throws(KernelError) {
        let queue = JobQueue()
        let failure: KernelError? = await withCheckedContinuation { started in
            let thread = Thread {
                var failure: KernelError?
                if let path = networkNamespace {
                    let fd = open(path, O_RDONLY | O_CLOEXEC)
                    if fd < 0 {
                        failure = KernelError(operation: "open network namespace \(path)", errno: errno)
                    } else {
                        if clinux_enter_network_namespace(fd) != 0 {
                            failure = KernelError(operation: "enter network namespace \(path)", errno: errno)
                        }
                        close(fd)
                    }
                }
                started.resume(returning: failure)
                if failure == nil { queue.run() }
            }
            thread.name = name
            thread.start()
        }
        if let failure { throw failure }
        self.queue = queue
        self.name = name
    }

    deinit { queue.release() }

    /// Runs `body` on the thread and returns its result (a body that can fail returns a `Result`).
    ///
    /// - Throws: `Stopped` when `stop()` was called: the body does not run.
    public func perform<T: Sendable>(_ body: @escaping @Sendable () -> T) async throws(Stopped) -> T {
        let result: T? = await withCheckedContinuation { continuation in
            let accepted = queue.enqueue(.closure { continuation.resume(returning: body()) }, refusingWhenStopped: true)
            if !accepted { continuation.resume(returning: nil) }
        }
        guard let result else { throw Stopped(thread: name) }
        return result
    }

    /// Refuses further `perform` work; jobs already queued still run. Jobs of actors pinned to this thread keep
    /// running on it until it is released.
    public func stop() { queue.stop() }

    // MARK: SerialExecutor

    public func enqueue(_ job: consuming ExecutorJob) {
        // Never refused: an actor pinned to this thread must keep running in its namespace (and a job cannot be
        // failed). The actor holds the thread, so no job can arrive after the thread is released.
        _ = queue.enqueue(.job(UnownedJob(job), asUnownedSerialExecutor()), refusingWhenStopped: false)
    }

    public func asUnownedSerialExecutor() -> UnownedSerialExecutor {
        UnownedSerialExecutor(ordinary: self)
    }

    /// Work handed to a stopped thread.
    public struct Stopped: Error, Sendable, CustomStringConvertible {
        public var thread: String
        public var description: String { "kernel thread \(thread) has stopped; the work was not run" }
    }
}

/// The thread's job list; shared by the owner and the thread, guarded by its condition.
private final class JobQueue: @unchecked Sendable {
    enum Job {
        case closure(@Sendable () -> Void)
        case job(UnownedJob, UnownedSerialExecutor)
    }

    private let condition = NSCondition()
    private var jobs: [Job] = []
    private var head = 0
    private var isStopped = false
    private var isReleased = false

    /// Queues `job`; false (and nothing queued) when the queue refuses it.
    func enqueue(_ job: Job, refusingWhenStopped: Bool) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        if isReleased || (refusingWhenStopped && isStopped) { return false }
        jobs.append(job)
        condition.signal()
        return true
    }

    func stop() {
        condition.lock()
        isStopped = true
        condition.unlock()
    }

    /// The owner is gone: the thread ends once the queue is drained.
    func release() {
        condition.lock()
        isStopped = true
        isReleased = true
        condition.signal()
        condition.unlock()
    }

    /// The thread's loop: runs jobs until released and drained.
    func run() {
        while true {
            condition.lock()
            while head == jobs.count && !isReleased { condition.wait() }
            if head == jobs.count {
                condition.unlock()
                return
            }
            let job = jobs[head]
            head += 1
            if head > 64 && head * 2 > jobs.count {
                jobs.removeFirst(head)
                head = 0
            }
            condition.unlock()
            switch job {
            case .closure(let body): body()
            case .job(let job, let executor): job.runSynchronously(on: executor)
            }
        }
    }
}

/// A failed system call, with the operation in words and `strerror`'s text.
public struct KernelError: Error, Sendable, CustomStringConvertible {
    public var operation: String
    public var code: Int32

    public init(operation: String, errno code: Int32) {
        self.operation = operation
        self.code = code
    }

    public var description: String { "\(operation): \(String(cString: strerror(code)))" }
}
