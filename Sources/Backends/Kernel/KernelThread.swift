import Foundation
import CLinux
import Glibc

/// A dedicated OS thread on which kernel calls run one at a time, optionally inside another network namespace.
///
/// Netlink sockets belong to the namespace of the thread that opens them, and libnftables / libnl contexts are
/// not thread-safe; a thread of our own gives both a fixed home and keeps blocking calls off Swift's cooperative
/// pool. Entering a namespace affects only this thread.
///
/// - Important: Jobs run in submission order. The thread ends when `stop()` is called or the object is released.
public final class KernelThread: Sendable {
    private let queue = JobQueue()

    /// Starts the thread; with `networkNamespace` (a path such as `/run/netns/NAME`) it enters that namespace
    /// first and fails if it cannot.
    public init(name: String, networkNamespace: String? = nil) throws(KernelError) {
        let startup = Startup()
        let thread = Thread { [queue] in
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
            startup.finish(failure)
            if failure == nil { queue.run() }
        }
        thread.name = name
        thread.start()
        if let failure = startup.wait() { throw failure }
    }

    deinit { queue.stop() }

    /// Runs `body` on the thread and returns its result.
    public func perform<T: Sendable, E: Error>(_ body: @escaping @Sendable () throws(E) -> T) async throws(E) -> T {
        let result: Result<T, E> = await withCheckedContinuation { continuation in
            queue.enqueue {
                do throws(E) {
                    continuation.resume(returning: .success(try body()))
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
        }
        return try result.get()
    }

    /// Runs `body` on the thread and blocks the caller until it is done; for set-up code outside async contexts.
    public func performAndWait<T: Sendable>(_ body: @escaping @Sendable () -> T) -> T {
        let box = ResultBox<T>()
        queue.enqueue {
            let value = body()
            box.set(value)
        }
        return box.wait()
    }

    /// Ends the thread after the jobs already submitted.
    public func stop() { queue.stop() }
}

/// The thread's job list; shared by the owner and the thread, guarded by its condition.
private final class JobQueue: @unchecked Sendable {
    private let condition = NSCondition()
    private var jobs: [@Sendable () -> Void] = []
    private var isStopped = false

    func enqueue(_ job: @escaping @Sendable () -> Void) {
        condition.lock()
        if isStopped {
            condition.unlock()
            job()  // never strand a caller: after stop, jobs run inline (only during teardown)
            return
        }
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    func stop() {
        condition.lock()
        isStopped = true
        condition.signal()
        condition.unlock()
    }

    /// The thread's loop: runs jobs until stopped and drained.
    func run() {
        while true {
            condition.lock()
            while jobs.isEmpty && !isStopped { condition.wait() }
            if jobs.isEmpty {
                condition.unlock()
                return
            }
            let job = jobs.removeFirst()
            condition.unlock()
            job()
        }
    }
}

/// One value handed from the kernel thread to a blocked caller.
private final class ResultBox<T: Sendable>: @unchecked Sendable {
    private let condition = NSCondition()
    private var value: T?

    func set(_ newValue: T) {
        condition.lock()
        value = newValue
        condition.signal()
        condition.unlock()
    }

    func wait() -> T {
        condition.lock()
        defer { condition.unlock() }
        while value == nil { condition.wait() }
        return value!
    }
}

/// Reports the outcome of a thread's start-up to the thread that created it.
private final class Startup: @unchecked Sendable {
    private let condition = NSCondition()
    private var isDone = false
    private var failure: KernelError?

    func finish(_ failure: KernelError?) {
        condition.lock()
        self.failure = failure
        isDone = true
        condition.signal()
        condition.unlock()
    }

    func wait() -> KernelError? {
        condition.lock()
        defer { condition.unlock() }
        while !isDone { condition.wait() }
        return failure
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
