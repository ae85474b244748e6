import Foundation
import ProxyTesting
import Testing

/// `proxyd --cleanup` against real IPVS and a real dummy interface, in a VM booted from Debian's kernel (this
/// machine's kernel has neither): proxyd's virtual servers — those on proxyd-ipvs0's addresses — and the
/// interface go; someone else's virtual servers and interfaces stay.
@Suite("--cleanup with IPVS, in a VM")
struct IPVSCleanupVMTests {
    @Test func cleanupRemovesTheVirtualServersOnProxydsInterfaceAndTheInterfaceOnly() async throws {
        let proxyd = try LabBinaries.path(of: "proxyd")
        let script = """
            set -u
            modprobe ip_vs && modprobe dummy || { echo "modprobe failed" > $SHARED/error; exit 1; }
            ip link add proxyd-ipvs0 type dummy
            ip addr add 10.96.0.10/32 dev proxyd-ipvs0
            ip addr add fd00:10:96::10/128 dev proxyd-ipvs0 nodad
            ip link add other0 type dummy
            ip addr add 192.0.2.1/32 dev other0
            ipvsadm -A -t 10.96.0.10:80 -s rr && ipvsadm -a -t 10.96.0.10:80 -r 10.244.0.11:8080 -m
            ipvsadm -A -u 10.96.0.10:53 -s rr
            ipvsadm -A -t [fd00:10:96::10]:80 -s rr
            ipvsadm -A -t 192.0.2.1:80 -s rr
            ipvsadm -A -f 7 -s rr
            ipvsadm -Ln > $SHARED/before.txt
            \(proxyd) --cleanup > $SHARED/first.log 2>&1; echo $? > $SHARED/first.status
            ipvsadm -Ln > $SHARED/after.txt
            ip -br link > $SHARED/links.txt
            \(proxyd) --cleanup > $SHARED/second.log 2>&1; echo $? > $SHARED/second.status
            echo done > $SHARED/done
            """
        let vm = try await VirtualMachine.run(script: script)
        defer { try? FileManager.default.removeItem(atPath: vm.directory) }
        try #require(vm.file("done") == "done", "the script did not finish (\(vm.file("error") ?? "no error file")); console:\n\(vm.console)")

        let before = try #require(vm.file("before.txt"))
        #expect(before.contains("TCP  10.96.0.10:80"), "\(before)")
        let first = vm.file("first.log") ?? ""
        #expect(vm.file("first.status") == "0", "\(first)")
        #expect(first.contains("IPVS: removed virtual server TCP 10.96.0.10:80, virtual server UDP 10.96.0.10:53, virtual server TCP [fd00:10:96::10]:80"), "\(first)")  // sorted by address
        #expect(first.contains("interface proxyd-ipvs0: removed proxyd-ipvs0"), "\(first)")

        let after = try #require(vm.file("after.txt"))
        #expect(!after.contains("10.96.0.10"), "\(after)")
        #expect(!after.contains("fd00:10:96::10"), "\(after)")
        #expect(after.contains("TCP  192.0.2.1:80"), "someone else's virtual server is gone: \(after)")
        #expect(after.contains("FWM  7"), "someone else's firewall-mark service is gone: \(after)")
        let links = try #require(vm.file("links.txt"))
        #expect(!links.contains("proxyd-ipvs0"), "\(links)")
        #expect(links.contains("other0"), "\(links)")

        let second = vm.file("second.log") ?? ""
        #expect(vm.file("second.status") == "0", "\(second)")
        #expect(second.contains("IPVS: nothing of proxyd's"), "\(second)")
        #expect(second.contains("interface proxyd-ipvs0: nothing of proxyd's"), "\(second)")
        print("IPVS cleanup VM test: boot, script and power-off took \(vm.duration)")
    }

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
