import Testing

import ProxyRuntime
@testable import ProxydConfiguration

/// Go durations as kube-proxy's flags and files take them: Go's syntax and Go's range, exactly.
@Suite("Go durations")
struct GoDurationTests {
    @Test(arguments: [
        ("30s", Duration.seconds(30)), ("1m0s", .seconds(60)), ("1h30m", .seconds(5400)), ("500ms", .milliseconds(500)),
        ("1.5s", .milliseconds(1500)), (".5s", .milliseconds(500)), ("1.s", .seconds(1)), ("0", .zero), ("-0", .zero),
        ("+5m", .seconds(300)), ("-1.25h", .seconds(-4500)), ("3us", .microseconds(3)), ("3µs", .microseconds(3)),
        ("3μs", .microseconds(3)), ("7ns", .nanoseconds(7)), ("1h1m1s1ms1us1ns", .nanoseconds(3_661_001_001_001)),
        ("0.000000001s", .nanoseconds(1)), ("1.0000000019s", .nanoseconds(1_000_000_001)),
        // Go's limits, to the nanosecond.
        ("2562047h47m16.854775807s", .nanoseconds(Int64.max)), ("9223372036854775807ns", .nanoseconds(Int64.max)),
        ("-2562047h47m16.854775808s", .nanoseconds(Int64.min)), ("-9223372036854775808ns", .nanoseconds(Int64.min)),
    ])
    func parsesWhatGoParses(text: String, expected: Duration) throws {
        #expect(try GoDuration(parsing: text).duration == expected)
    }

    @Test(arguments: ["", "s", "5", "1e3s", "1 s", "1.2.3s", "5d", "-", ".s", "1h-5m", "0x10s", "١s"])
    func rejectsWhatGoRejects(text: String) {
        #expect(throws: GoDuration.ParseError.syntax) { try GoDuration(parsing: text) }
    }

    /// These trapped ("Double value cannot be converted to Int64") and killed proxyd.
    @Test(arguments: [
        "2562048h", "99999999999h", "2562047h47m16.854775808s", "9223372036854775808ns", "-9223372036854775809ns",
        "18446744073709551616ns", "99999999999999999999999999h", "2562047h47m16s1s",
    ])
    func rejectsWhatDoesNotFitGosNanoseconds(text: String) {
        #expect(throws: GoDuration.ParseError.outOfRange) { try GoDuration(parsing: text) }
    }

    @Test(arguments: [
        (Duration.seconds(30), "30s"), (.seconds(60), "1m0s"), (.seconds(5400), "1h30m0s"), (.milliseconds(500), "500ms"),
        (.milliseconds(1500), "1.5s"), (.zero, "0s"), (.seconds(-90), "-1m30s"), (.microseconds(-3), "-3µs"),
        (.nanoseconds(Int64.max), "2562047h47m16.854775807s"), (.nanoseconds(Int64.min), "-2562047h47m16.854775808s"),
    ])
    func printsAsGoPrints(duration: Duration, expected: String) throws {
        let text = GoDuration(duration).description
        #expect(text == expected)
        #expect(try GoDuration(parsing: text).duration == duration, "reads back")
    }

    /// A latency measured from a trigger time in year 1 (from a hostile EndpointSlice annotation) trapped when
    /// converted to nanoseconds for the histogram; it saturates as Go's durations do.
    @Test func durationsBeyondInt64NanosecondsSaturate() {
        #expect(Duration.seconds(63_000_000_000).nanoseconds == Int64.max)
        #expect(Duration.seconds(-63_000_000_000).nanoseconds == Int64.min)
        #expect(Duration.milliseconds(1500).nanoseconds == 1_500_000_000)
        #expect(Duration.nanoseconds(Int64.max).nanoseconds == Int64.max)
    }
}
