import Backends
import Glibc
import Synchronization
import Testing

/// The kernel thread runs work only on itself — the thread that entered the network namespace — and is the executor
/// of the actors pinned to it. No root needed: the thread stays in the test process's namespace.
@Suite("kernel thread")
struct KernelThreadTests {
    /// An actor whose methods run on a kernel thread, as the drivers' do.
    actor Pinned {
        let thread: KernelThread
        nonisolated var unownedExecutor: UnownedSerialExecutor { thread.asUnownedSerialExecutor() }

        init(_ thread: KernelThread) { self.thread = thread }

        func currentThread() -> pthread_t { pthread_self() }
    }

    @Test func workRunsOnTheKernelThreadNeverOnTheCaller() async throws {
        let thread = try await KernelThread(name: "pxd-test")
        let caller = pthread_self()
        let first = try await thread.perform { pthread_self() }
        let second = try await thread.perform { pthread_self() }
        #expect(pthread_equal(first, second) != 0, "every job runs on the one thread")
        #expect(pthread_equal(first, caller) == 0)
        let pinned = Pinned(thread)
        #expect(pthread_equal(await pinned.currentThread(), first) != 0, "the actor's methods run on the kernel thread")
    }

    @Test func workQueuedAfterStopFailsInsteadOfRunningOnTheCallersThread() async throws {
        let thread = try await KernelThread(name: "pxd-test")
        let kernelThread = try await thread.perform { pthread_self() }
        let pinned = Pinned(thread)
        thread.stop()
        let ran = RanFlag()
        await #expect(throws: KernelThread.Stopped.self) {
            try await thread.perform { ran.set() }
        }
        #expect(!ran.value, "a stopped thread must not run work anywhere (the caller's thread is in another namespace)")
        // An actor pinned to it still runs on it, in its namespace, until the thread is released.
        #expect(pthread_equal(await pinned.currentThread(), kernelThread) != 0)
    }

    @Test func aNamespaceThatCannotBeEnteredFailsTheStartWithTheReason() async {
        await #expect {
            try await KernelThread(name: "pxd-test", networkNamespace: "/run/netns/pxd-does-not-exist")
        } throws: { error in
            "\(error)" == "open network namespace /run/netns/pxd-does-not-exist: No such file or directory"
        }
    }
}

/// Set when a job ran.
private final class RanFlag: Sendable {
    private let ran = Mutex(false)
    func set() { ran.withLock { $0 = true } }
    var value: Bool { ran.withLock { $0 } }
}
