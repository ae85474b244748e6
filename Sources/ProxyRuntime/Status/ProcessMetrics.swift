import Foundation
import Glibc

/// The standard `process_*` metrics every Prometheus client library exports (and every kube-proxy dashboard
/// graphs), read from `/proc` when `/metrics` is scraped.
///
/// Names, types and meanings are those of client_golang's process collector. A value that cannot be read is
/// left out of the exposition rather than reported as 0.
public struct ProcessMetrics: Sendable, Equatable {
    /// User and system CPU time, in seconds.
    public var cpuSeconds: Double?
    public var residentMemoryBytes: Int?
    public var virtualMemoryBytes: Int?
    public var openFDs: Int?
    /// The soft limit of open file descriptors.
    public var maxFDs: Int?
    /// Seconds since the Unix epoch.
    public var startTimeSeconds: Double?

    /// This process's values now.
    public static func read() -> ProcessMetrics {
        var metrics = ProcessMetrics()
        if let stat = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8) {
            let bootTime = (try? String(contentsOfFile: "/proc/stat", encoding: .utf8)).flatMap(bootTime(procStat:))
            metrics = parse(
                stat: stat, bootTime: bootTime, clockTicksPerSecond: sysconf(Int32(_SC_CLK_TCK)),
                pageSize: sysconf(Int32(_SC_PAGESIZE)))
        }
        if let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") {
            metrics.openFDs = entries.count
        }
        var limit = rlimit()
        if getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0 {
            metrics.maxFDs = limit.rlim_cur == rlim_t.max ? nil : Int(clamping: limit.rlim_cur)
        }
        return metrics
    }

    /// The values `/proc/self/stat` holds (`proc(5)`): CPU time, memory and start time (which needs the boot
    /// time, `btime` of `/proc/stat`). Pure.
    public static func parse(stat: String, bootTime: Double?, clockTicksPerSecond: Int, pageSize: Int) -> ProcessMetrics {
        var metrics = ProcessMetrics()
        // Field 2, the command name, is in parentheses and may itself hold spaces and parentheses: the fields
        // that follow start after the last ')'. fields[0] is then field 3 (state).
        guard let close = stat.lastIndex(of: ")"), clockTicksPerSecond > 0 else { return metrics }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        func field(_ number: Int) -> Int? {
            let index = number - 3
            return fields.indices.contains(index) ? Int(fields[index]) : nil
        }
        let ticks = Double(clockTicksPerSecond)
        if let user = field(14), let system = field(15) {
            metrics.cpuSeconds = Double(user + system) / ticks
        }
        if let start = field(22), let bootTime {
            metrics.startTimeSeconds = bootTime + Double(start) / ticks
        }
        metrics.virtualMemoryBytes = field(23)
        if let pages = field(24) {
            metrics.residentMemoryBytes = pages.multipliedReportingOverflow(by: pageSize).overflow ? nil : pages * pageSize
        }
        return metrics
    }

    /// `btime` of `/proc/stat`: when the machine booted, in seconds since the Unix epoch.
    public static func bootTime(procStat: String) -> Double? {
        procStat.split(separator: "\n").first { $0.hasPrefix("btime ") }
            .flatMap { Double($0.dropFirst("btime ".count).trimmingCharacters(in: .whitespaces)) }
    }

    /// The Prometheus text exposition, with client_golang's help texts.
    public var exposition: String {
        let entries: [(name: String, type: String, help: String, value: String?)] = [
            ("process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.", cpuSeconds.map(format)),
            ("process_max_fds", "gauge", "Maximum number of open file descriptors.", maxFDs.map(String.init)),
            ("process_open_fds", "gauge", "Number of open file descriptors.", openFDs.map(String.init)),
            ("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.", residentMemoryBytes.map(String.init)),
            ("process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.", startTimeSeconds.map(format)),
            ("process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.", virtualMemoryBytes.map(String.init)),
        ]
        return entries.compactMap { entry in
            entry.value.map { "# HELP \(entry.name) \(entry.help)\n# TYPE \(entry.name) \(entry.type)\n\(entry.name) \($0)\n" }
        }.joined()
    }

    private func format(_ value: Double) -> String {
        String(format: "%.2f", value)
    }
}
