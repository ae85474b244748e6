import ArgumentParser

/// A duration written as Go writes them (`30s`, `1m0s`, `1h30m`, `500ms`, `1.5s`), as kube-proxy's flags and
/// configuration files take them.
///
/// - Important: Holds exactly what Go's `time.Duration` can: a whole number of nanoseconds from
///   -2562047h47m16.854775808s to 2562047h47m16.854775807s. Text outside that range does not parse (as in Go),
///   so every `GoDuration` converts to nanoseconds, seconds or a `Duration` without overflow.
public struct GoDuration: Sendable, Hashable, CustomStringConvertible {
    public var duration: Duration

    public init(_ duration: Duration) { self.duration = duration }

    /// Why a text is not a Go duration.
    public enum ParseError: Error, Sendable, Equatable {
        /// Not Go's syntax: a sequence of decimal numbers with units ns, us (µs), ms, s, m, h.
        case syntax
        /// The syntax is right but the value does not fit Go's 64-bit nanoseconds (about ±292 years).
        case outOfRange
    }

    /// The longest duration Go (and so kube-proxy) can hold: 2562047h47m16.854775807s.
    public static let maximum = GoDuration(.nanoseconds(Int64.max))

    /// Parses Go's `time.ParseDuration` syntax: a sequence of decimal numbers with units ns, us (µs), ms, s,
    /// m, h (`1h30m`, `1.5s`, `.5ms`); `0` alone is allowed, and a leading sign.
    ///
    /// Computed in integers, so that large values are exact and nothing traps: every value Go accepts is
    /// accepted, and a value Go rejects as overflowing throws ``ParseError/outOfRange``.
    public init(parsing text: String) throws(ParseError) {
        var rest = Substring(text).unicodeScalars
        var negative = false
        if let sign = rest.first, sign == "-" || sign == "+" {
            negative = sign == "-"
            rest = rest.dropFirst()
        }
        if Substring(rest) == "0" {
            duration = .zero
            return
        }
        guard !rest.isEmpty else { throw .syntax }
        let limit: UInt64 = 1 << 63  // the magnitude of Int64.min; Int64.max is one less
        var total: UInt64 = 0
        while !rest.isEmpty {
            let whole = rest.prefix { ("0"..."9").contains($0) }
            rest = rest.dropFirst(whole.count)
            var fraction = Substring.UnicodeScalarView()
            if rest.first == "." {
                rest = rest.dropFirst()
                fraction = rest.prefix { ("0"..."9").contains($0) }
                rest = rest.dropFirst(fraction.count)
            }
            guard !whole.isEmpty || !fraction.isEmpty else { throw .syntax }
            let unitText = rest.prefix { $0 != "." && !("0"..."9").contains($0) }
            rest = rest.dropFirst(unitText.count)
            guard let unit = Self.units[String(Substring(unitText))] else { throw .syntax }

            var value: UInt64 = 0
            for digit in whole {
                let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
                let (next, overflow2) = times10.addingReportingOverflow(UInt64(digit.value - 48))
                guard !overflow1, !overflow2, next <= limit else { throw .outOfRange }
                value = next
            }
            let (scaled, overflow) = value.multipliedReportingOverflow(by: unit)
            guard !overflow, scaled <= limit else { throw .outOfRange }
            value = scaled
            // Digits after the point, as nanoseconds of this unit (truncated below a nanosecond, as Go does).
            // At most 19 digits count: more cannot change a whole nanosecond of the largest unit.
            var numerator: UInt64 = 0
            var denominator: UInt64 = 1
            for digit in fraction.prefix(18) {
                numerator = numerator * 10 + UInt64(digit.value - 48)
                denominator *= 10
            }
            if numerator > 0 {
                // unit × numerator / denominator without overflow: unit ≤ 3.6e12, numerator < 1e18.
                let product = unit.multipliedFullWidth(by: numerator)
                let (quotient, _) = denominator.dividingFullWidth(product)
                let (sum, overflow) = value.addingReportingOverflow(quotient)
                guard !overflow, sum <= limit else { throw .outOfRange }
                value = sum
            }
            let (sum, overflowTotal) = total.addingReportingOverflow(value)
            guard !overflowTotal, sum <= limit else { throw .outOfRange }
            total = sum
        }
        if negative {
            duration = .nanoseconds(total == limit ? Int64.min : -Int64(total))
        } else {
            guard total < limit else { throw .outOfRange }
            duration = .nanoseconds(Int64(total))
        }
    }

    /// Parses like ``init(parsing:)``; nil for anything Go would reject.
    public init?(_ text: String) {
        guard let parsed = try? GoDuration(parsing: text) else { return nil }
        self = parsed
    }

    /// Nanoseconds per unit, with Go's spellings of the microsecond (`us`, U+00B5 `µs`, U+03BC `μs`).
    private static let units: [String: UInt64] = [
        "ns": 1, "us": 1_000, "µs": 1_000, "μs": 1_000, "ms": 1_000_000, "s": 1_000_000_000,
        "m": 60_000_000_000, "h": 3_600_000_000_000,
    ]

    /// A flag's value (`--iptables-sync-period 30s`); the error says why the text is refused, and ArgumentParser
    /// names the flag.
    public static func argument(_ text: String) throws -> GoDuration {
        do throws(ParseError) {
            return try GoDuration(parsing: text)
        } catch {
            switch error {
            case .syntax: throw ValidationError("not a duration; write it as Go does, e.g. 30s, 1m0s, 1h30m or 500ms")
            case .outOfRange: throw ValidationError("out of range; a duration can be at most \(maximum) (Go's limit)")
            }
        }
    }

    /// Go's formatting: `1m0s`, `30s`, `1h0m0s`, `500ms`.
    public var description: String {
        // The magnitude's components, so that no step overflows (Int64.min nanoseconds included).
        let negative = duration < .zero
        let (seconds, attoseconds) = (negative ? .zero - duration : duration).components
        let nanoseconds = attoseconds / 1_000_000_000
        let sign = negative ? "-" : ""
        if seconds == 0 {
            if nanoseconds == 0 { return "0s" }
            if nanoseconds % 1_000_000 == 0 { return "\(sign)\(nanoseconds / 1_000_000)ms" }
            if nanoseconds % 1000 == 0 { return "\(sign)\(nanoseconds / 1000)µs" }
            return "\(sign)\(nanoseconds)ns"
        }
        let hours = seconds / 3600
        let minutes = seconds % 3600 / 60
        let wholeSeconds = seconds % 60
        var text = sign
        if hours > 0 { text += "\(hours)h" }
        if hours > 0 || minutes > 0 { text += "\(minutes)m" }
        text += "\(wholeSeconds)"
        if nanoseconds > 0 {
            var digits = String(nanoseconds)
            digits = String(repeating: "0", count: 9 - digits.count) + digits
            while digits.hasSuffix("0") { digits.removeLast() }
            text += "." + digits
        }
        return text + "s"
    }
}
