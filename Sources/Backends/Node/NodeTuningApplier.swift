import Glibc

/// Applies node tuning as kube-proxy does: `nf_conntrack_max = max(maxPerCore × CPUs, min)` with the conntrack
/// hash table grown to a quarter of it, TCP and UDP conntrack timeouts, `nf_conntrack_tcp_be_liberal`, and
/// `route_localnet` only when a mode needs it (localhost NodePorts of the iptables mode; nftables never does).
///
/// Reads every file first and writes only values that differ (the hash size only when it is too small, as
/// kube-proxy does). Sysctls under `net/` belong to the network namespace of the calling *thread* (run it on a
/// `KernelThread` to tune another namespace); `nf_conntrack_max` is read-only outside the initial namespace
/// and the hash size can only be set from it — such refusals become warnings, never failures.
///
/// - Important: Touches only the files of the settings `settings(for:cpuCount:routeLocalnet:)` returns, below
///   `sysctlRoot` and at `hashsizePath`.
public struct NodeTuningApplier: Sendable {
    public var sysctlRoot: String
    public var hashsizePath: String
    public var cpuCount: Int

    public init(
        sysctlRoot: String = "/proc/sys", hashsizePath: String = "/sys/module/nf_conntrack/parameters/hashsize",
        cpuCount: Int = NodeTuningApplier.onlineCPUs()
    ) {
        self.sysctlRoot = sysctlRoot
        self.hashsizePath = hashsizePath
        self.cpuCount = cpuCount
    }

    /// The CPUs the kernel has online (the machine's, not this process's CPU quota: kube-proxy sizes the table
    /// for the node).
    public static func onlineCPUs() -> Int {
        max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    }

    /// kube-proxy's `nf_conntrack_max`: `maxPerCore × CPUs`, at least `min`; nil when `maxPerCore` is unset or 0.
    public static func conntrackMax(_ tuning: ConntrackTuning, cpuCount: Int) -> Int? {
        guard let perCore = tuning.maxPerCore, perCore > 0 else { return nil }
        return max(perCore * cpuCount, tuning.min ?? 0)
    }

    /// The settings `tuning` asks for, in the order they are applied. Pure.
    public static func settings(for tuning: ConntrackTuning, cpuCount: Int, routeLocalnet: Bool = false) -> [TuningSetting] {
        var settings: [TuningSetting] = []
        if let max = conntrackMax(tuning, cpuCount: cpuCount) {
            settings.append(TuningSetting(.sysctl("net/netfilter/nf_conntrack_max"), max))
            settings.append(TuningSetting(.conntrackHashsize, max / 4, rule: .atLeast))
        }
        func seconds(_ duration: Duration?) -> Int? {
            guard let duration, duration > .zero else { return nil }
            return Int(duration.components.seconds)
        }
        if let value = seconds(tuning.tcpEstablishedTimeout) {
            settings.append(TuningSetting(.sysctl("net/netfilter/nf_conntrack_tcp_timeout_established"), value))
        }
        if let value = seconds(tuning.tcpCloseWaitTimeout) {
            settings.append(TuningSetting(.sysctl("net/netfilter/nf_conntrack_tcp_timeout_close_wait"), value))
        }
        if tuning.tcpBeLiberal {
            settings.append(TuningSetting(.sysctl("net/netfilter/nf_conntrack_tcp_be_liberal"), 1))
        }
        if let value = seconds(tuning.udpTimeout) {
            settings.append(TuningSetting(.sysctl("net/netfilter/nf_conntrack_udp_timeout"), value))
        }
        if let value = seconds(tuning.udpStreamTimeout) {
            settings.append(TuningSetting(.sysctl("net/netfilter/nf_conntrack_udp_timeout_stream"), value))
        }
        if routeLocalnet {
            settings.append(TuningSetting(.sysctl("net/ipv4/conf/all/route_localnet"), 1))
        }
        return settings
    }

    /// Applies `tuning` (and `route_localnet` when asked) and reports what changed.
    public func apply(_ tuning: ConntrackTuning, routeLocalnet: Bool = false) -> NodeTuningReport {
        apply(Self.settings(for: tuning, cpuCount: cpuCount, routeLocalnet: routeLocalnet))
    }

    /// Applies settings declared elsewhere (a backend's node requirements, such as `IPVSNodeTuning`) the same way:
    /// read first, write only what differs, refusals as warnings.
    public func apply(_ settings: [TuningSetting]) -> NodeTuningReport {
        var report = NodeTuningReport()
        for setting in settings {
            let path = self.path(of: setting)
            let current: Int?
            switch Self.read(path) {
            case .success(let value): current = value
            case .failure(let problem):
                if problem.code == ENOENT {
                    let hint = setting.module.map { " (is the \($0) module loaded?)" } ?? ""
                    report.warnings.append("cannot set \(setting.name) to \(setting.value): \(path) does not exist\(hint)")
                    continue
                }
                current = nil
            }
            guard setting.needsWrite(current: current) else {
                report.unchanged.append(setting.name)
                continue
            }
            if let problem = Self.write(setting.value, to: path) {
                report.warnings.append(warning(setting, path: path, current: current, errno: problem))
            } else {
                report.changes.append(.init(name: setting.name, old: current, new: setting.value))
            }
        }
        return report
    }

    func path(of setting: TuningSetting) -> String {
        switch setting.location {
        case .sysctl(let relative): sysctlRoot + "/" + relative
        case .conntrackHashsize: hashsizePath
        }
    }

    private func warning(_ setting: TuningSetting, path: String, current: Int?, errno code: Int32) -> String {
        let now = current.map { "; it stays \($0)" } ?? ""
        let why: String
        switch code {
        case EACCES, EPERM:
            why = "not permitted (outside the initial network namespace this setting is read-only, and it needs root)"
        case EROFS:
            why = "the file system is read-only (e.g. /sys mounted read-only by the container runtime)"
        case EOPNOTSUPP:
            why = "the kernel allows it only from the initial network namespace"
        default:
            why = String(cString: strerror(code))
        }
        return "cannot set \(setting.name) to \(setting.value) (\(path)): \(why)\(now)"
    }

    struct ReadProblem: Error { var code: Int32 }

    /// The integer a sysctl-style file holds (the first word; tab-separated multi-value files are not ours).
    static func read(_ path: String) -> Result<Int, ReadProblem> {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return .failure(ReadProblem(code: errno)) }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: 64)
        let count = bytes.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
        guard count >= 0 else { return .failure(ReadProblem(code: errno)) }
        let text = String(decoding: bytes[..<count], as: UTF8.self)
        guard let word = text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).first, let value = Int(word) else {
            return .failure(ReadProblem(code: EINVAL))
        }
        return .success(value)
    }

    /// Writes `value` and a newline; returns errno on failure.
    static func write(_ value: Int, to path: String) -> Int32? {
        let fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC)
        guard fd >= 0 else { return errno }
        defer { close(fd) }
        let text = Array("\(value)\n".utf8)
        let written = text.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        if written < 0 { return errno }
        return written == text.count ? nil : EIO
    }
}
