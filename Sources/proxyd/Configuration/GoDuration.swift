import ArgumentParser

/// A duration written as Go writes them (`30s`, `1m0s`, `1h30m`, `500ms`, `1.5s`), as kube-proxy's flags and
/// configuration files take them.
struct GoDuration: Sendable, Hashable, CustomStringConvertible, ExpressibleByArgument {
    var duration: Duration

    init(_ duration: Duration) { self.duration = duration }

    /// Parses Go's `time.ParseDuration` syntax: a sequence of decimal numbers with units ns, us (µs), ms, s,
    /// m, h; `0` alone is allowed.
    init?(_ text: String) {
        var rest = Substring(text)
        var negative = false
        if rest.hasPrefix("-") || rest.hasPrefix("+") {
            negative = rest.hasPrefix("-")
            rest = rest.dropFirst()
        }
        if rest == "0" {
            duration = .zero
            return
        }
        guard !rest.isEmpty else { return nil }
        var total: Double = 0  // nanoseconds
        while !rest.isEmpty {
            let number = rest.prefix { $0.isNumber || $0 == "." }
            guard !number.isEmpty, let value = Double(number) else { return nil }
            rest = rest.dropFirst(number.count)
            let unit = rest.prefix { !$0.isNumber && $0 != "." }
            rest = rest.dropFirst(unit.count)
            let scale: Double
            switch unit {
            case "ns": scale = 1
            case "us", "µs", "μs": scale = 1e3
            case "ms": scale = 1e6
            case "s": scale = 1e9
            case "m": scale = 60e9
            case "h": scale = 3600e9
            default: return nil
            }
            total += value * scale
        }
        let nanoseconds = Int64(total.rounded())
        duration = .nanoseconds(negative ? -nanoseconds : nanoseconds)
    }

    init?(argument: String) { self.init(argument) }

    /// Go's formatting: `1m0s`, `30s`, `1h0m0s`, `500ms`.
    var description: String {
        let (seconds, attoseconds) = duration.components
        let nanoseconds = seconds * 1_000_000_000 + attoseconds / 1_000_000_000
        if nanoseconds == 0 { return "0s" }
        if abs(nanoseconds) < 1_000_000_000 {
            if nanoseconds % 1_000_000 == 0 { return "\(nanoseconds / 1_000_000)ms" }
            if nanoseconds % 1000 == 0 { return "\(nanoseconds / 1000)µs" }
            return "\(nanoseconds)ns"
        }
        var text = ""
        var remaining = nanoseconds
        if remaining < 0 {
            text = "-"
            remaining = -remaining
        }
        let hours = remaining / 3_600_000_000_000
        remaining %= 3_600_000_000_000
        let minutes = remaining / 60_000_000_000
        remaining %= 60_000_000_000
        let wholeSeconds = remaining / 1_000_000_000
        let fraction = remaining % 1_000_000_000
        if hours > 0 { text += "\(hours)h" }
        if hours > 0 || minutes > 0 { text += "\(minutes)m" }
        text += "\(wholeSeconds)"
        if fraction > 0 {
            var digits = String(fraction)
            digits = String(repeating: "0", count: 9 - digits.count) + digits
            while digits.hasSuffix("0") { digits.removeLast() }
            text += "." + digits
        }
        return text + "s"
    }
}
