import Testing

@testable import ProxyRuntime

/// The `process_*` metrics, from `/proc` as the kernel writes it.
@Suite("process metrics")
struct ProcessMetricsTests {
    /// A command name with spaces and parentheses: fields are counted after the last ')'.
    static let stat = "4242 (proxyd (x) y) S 1 4242 4242 0 -1 4194560 12000 0 3 0 250 75 0 0 20 0 9 0 1000 812003328 6144 "
        + "18446744073709551615 1 1 0 0 0 0 0 4096 17922 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 0\n"

    @Test func statIsReadAsProcFiveDescribesIt() {
        let metrics = ProcessMetrics.parse(stat: Self.stat, bootTime: 1_700_000_000, clockTicksPerSecond: 100, pageSize: 4096)
        #expect(metrics.cpuSeconds == 3.25)
        #expect(metrics.startTimeSeconds == 1_700_000_010)
        #expect(metrics.virtualMemoryBytes == 812_003_328)
        #expect(metrics.residentMemoryBytes == 6144 * 4096)
    }

    @Test func bootTimeComesFromProcStat() {
        #expect(ProcessMetrics.bootTime(procStat: "cpu  1 2 3\nintr 5\nbtime 1700000000\nprocesses 9\n") == 1_700_000_000)
        #expect(ProcessMetrics.bootTime(procStat: "cpu 1\n") == nil)
    }

    @Test func theExpositionHasClientGolangsNamesAndTypesAndLeavesOutWhatIsUnknown() {
        let text = ProcessMetrics(cpuSeconds: 3.25, residentMemoryBytes: 100, openFDs: 12, maxFDs: 1024).exposition
        #expect(text.contains("# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total 3.25\n"))
        #expect(text.contains("# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes 100\n"))
        #expect(text.contains("process_open_fds 12\n") && text.contains("process_max_fds 1024\n"))
        #expect(!text.contains("process_virtual_memory_bytes") && !text.contains("process_start_time_seconds"))
    }

    @Test func thisProcessReadsItself() throws {
        let metrics = ProcessMetrics.read()
        #expect(try #require(metrics.residentMemoryBytes) > 0)
        #expect(try #require(metrics.openFDs) > 0)
        #expect(try #require(metrics.maxFDs) >= metrics.openFDs!)
        #expect(try #require(metrics.startTimeSeconds) > 1_600_000_000)
    }
}
