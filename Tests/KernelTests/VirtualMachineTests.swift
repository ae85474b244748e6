import Foundation
import ProxyTesting
import Testing

/// The VM runner itself: a VM is always stopped, also when it outlives its deadline.
@Suite("the VM runner")
struct VirtualMachineTests {
    @Test func aVMThatOutlivesItsDeadlineIsKilledWithEverythingItStarted() async throws {
        var directory: String?
        do {
            _ = try await VirtualMachine.run(script: "sleep 600", deadline: .seconds(20)) { directory = $0 }
            Issue.record("the VM should have been stopped at its deadline")
        } catch let error as LabError {
            #expect(error.code == .readyTimeout, "\(error)")
        }
        let shared = try #require(directory)
        defer { try? FileManager.default.removeItem(atPath: shared) }
        // qemu's command line names the shared directory: nothing that does may be left running.
        func leftovers() -> [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).filter { $0.allSatisfy(\.isNumber) }.compactMap { pid in
                guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return nil }
                return String(decoding: data, as: UTF8.self).contains(shared) ? pid : nil
            }
        }
        let deadline = ContinuousClock.now + .seconds(10)
        while !leftovers().isEmpty && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(100)) }
        #expect(leftovers().isEmpty, "processes of the VM still run")
    }
}
