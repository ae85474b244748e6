import Foundation
// With NIO in the module graph, `struct stat` is attributed to CDispatch's module map (MemberImportVisibility).
import CDispatch
import Glibc

/// Proof that a lab's owner is alive: an exclusive `flock` on `/run/proxyd-lab/<labID>.lease`, held for the lab's
/// whole life.
///
/// The kernel drops the lock when the owning process dies, however it dies. A lease file whose lock can be taken
/// therefore belongs to a lab whose test process crashed before teardown; ``reapOrphans()`` removes that lab's
/// namespaces (`pxl-<labID>-*`) and processes. Namespaces without a lease file are never touched: they are not
/// ours.
final class LabLease: Sendable {
    static let directory = "/run/proxyd-lab"

    let labID: String
    private let fd: Int32

    private init(labID: String, fd: Int32) {
        self.labID = labID
        self.fd = fd
    }

    /// Takes a lease on a fresh random lab ID.
    static func acquire() throws -> LabLease {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for _ in 0..<16 {
            let labID = randomID()
            let path = "\(directory)/\(labID).lease"
            let fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            if fd < 0 {
                if errno == EEXIST { continue }
                throw LabError(.commandFailed, "cannot create \(path): \(String(cString: strerror(errno)))")
            }
            // O_EXCL made the file ours; a concurrent reaper may still grab the lock first, then try another ID.
            guard flock(fd, LOCK_EX | LOCK_NB) == 0, isStillLinked(fd, path: path) else {
                close(fd)
                continue
            }
            let owner = "\(getpid())\n"
            _ = owner.withCString { write(fd, $0, strlen($0)) }
            return LabLease(labID: labID, fd: fd)
        }
        throw LabError(.commandFailed, "could not take a lab lease in \(directory)")
    }

    /// False if a reaper removed the file between our create and our lock: a lock on an unlinked file proves nothing.
    private static func isStillLinked(_ fd: Int32, path: String) -> Bool {
        var opened = Glibc.stat()
        var named = Glibc.stat()
        return fstat(fd, &opened) == 0 && stat(path, &named) == 0 && opened.st_ino == named.st_ino && opened.st_dev == named.st_dev
    }

    /// Ends the lease: removes the file, then drops the lock.
    func release() {
        unlink("\(Self.directory)/\(labID).lease")
        close(fd)
    }

    /// Drops the lock but keeps the file, so the next lab's reaper retries removing what is left.
    func abandon() {
        close(fd)
    }

    /// Six characters of [a-z0-9]: 2 billion IDs, so parallel labs (and other engineers' runs) never collide.
    static func randomID() -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789")
        return String((0..<6).map { _ in alphabet.randomElement()! })
    }

    /// Lab IDs whose owner died without tearing down, each locked for the caller; pass them to `finish`.
    static func orphans() -> [(labID: String, fd: Int32)] {
        guard let files = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return [] }
        var found: [(String, Int32)] = []
        for file in files where file.hasSuffix(".lease") {
            let fd = open("\(directory)/\(file)", O_RDWR | O_CLOEXEC)
            guard fd >= 0 else { continue }
            if flock(fd, LOCK_EX | LOCK_NB) == 0 {
                found.append((String(file.dropLast(".lease".count)), fd))
            } else {
                close(fd)
            }
        }
        return found
    }

    /// Removes an orphan's lease file once its namespaces are gone.
    static func finishOrphan(labID: String, fd: Int32) {
        unlink("\(directory)/\(labID).lease")
        close(fd)
    }
}
