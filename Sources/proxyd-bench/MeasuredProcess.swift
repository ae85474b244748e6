import Foundation
import Glibc

/// Runs a command to completion and reports its wall time and peak resident memory (from `wait4`).
enum MeasuredProcess {
    struct Result {
        var status: Int32
        var wall: Duration
        /// Peak RSS of the process (the last exec'd image, e.g. proxyd under `ip netns exec`), in KiB.
        var maxRSSKiB: Int
    }

    static func run(_ argv: [String], quiet: Bool = true) throws -> Result {
        var pid: pid_t = 0
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if quiet {
            posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
            posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        }
        let cArgs = argv.map { strdup($0) } + [nil]
        defer { cArgs.forEach { free($0) } }
        let start = ContinuousClock.now
        let spawned = posix_spawn(&pid, argv[0], &actions, nil, cArgs, environ)
        guard spawned == 0 else { throw BenchError("cannot run \(argv[0]): \(String(cString: strerror(spawned)))") }
        var status: Int32 = 0
        var usage = rusage()
        while wait4(pid, &status, 0, &usage) < 0 {
            if errno != EINTR { throw BenchError("wait4: \(String(cString: strerror(errno)))") }
        }
        let wall = ContinuousClock.now - start
        return Result(status: (status >> 8) & 0xff, wall: wall, maxRSSKiB: usage.ru_maxrss)
    }

    /// Runs a command that must succeed (setup steps), ignoring timing.
    static func check(_ argv: [String]) throws {
        let result = try run(argv)
        guard result.status == 0 else { throw BenchError("\(argv.joined(separator: " ")) exited with \(result.status)") }
    }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A network namespace of the benchmark's own, deleted when released.
final class BenchNamespace {
    let name = "pxb-" + String(UUID().uuidString.prefix(8)).lowercased()
    var path: String { "/run/netns/\(name)" }

    init() throws {
        try MeasuredProcess.check(["/usr/sbin/ip", "netns", "add", name])
        try MeasuredProcess.check(["/usr/sbin/ip", "-n", name, "link", "set", "lo", "up"])
    }

    deinit { try? MeasuredProcess.check(["/usr/sbin/ip", "netns", "delete", name]) }
}

extension Duration {
    var milliseconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) * 1000 + Double(attoseconds) / 1e15
    }
}

/// Percentiles of a sample.
struct Sample {
    var values: [Double]

    func percentile(_ p: Double) -> Double {
        guard !values.isEmpty else { return .nan }
        let sorted = values.sorted()
        let index = min(sorted.count - 1, max(0, Int((p / 100 * Double(sorted.count)).rounded(.up)) - 1))
        return sorted[index]
    }

    var median: Double { percentile(50) }
}
