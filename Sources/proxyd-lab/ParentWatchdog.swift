import Foundation
import Glibc

/// Ends this process when the process that started it goes away.
///
/// A lab server is started by a test process (`ip netns exec` replaces itself with us, so the test is our
/// parent). If the test crashes, nobody sends SIGTERM; without this the server would keep its namespace alive.
/// `PR_SET_PDEATHSIG` is not used because it fires when the parent *thread* exits, and the test's spawning
/// thread is a pool thread that may exit at any time. Instead we watch for re-parenting.
enum ParentWatchdog {
    static func start() {
        let parent = getppid()
        guard parent > 1 else { return }  // started by init or a subreaper on purpose: nothing to watch
        Thread.detachNewThread {
            while true {
                usleep(200_000)
                if getppid() != parent { _exit(0) }
            }
        }
    }
}
