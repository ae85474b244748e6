import Foundation
import Glibc
import ProxyTesting
import ServiceModel
import Testing

/// Labs never collide and never leave anything behind.
@Suite(.requiresRoot)
struct LabIsolationTests {
    /// What a test body saw of its lab, to check after teardown.
    struct Footprint: Sendable {
        var namespaces: [String]
        var leaseFile: String
        var serverPID: Int32
    }

    static func footprint(_ lab: NetworkLab, server: LabProcess) -> Footprint {
        Footprint(namespaces: lab.topology.namespaces, leaseFile: "/run/proxyd-lab/\(lab.id).lease", serverPID: server.pid)
    }

    static func expectGone(_ footprint: Footprint, sourceLocation: SourceLocation = #_sourceLocation) {
        for namespace in footprint.namespaces {
            #expect(!FileManager.default.fileExists(atPath: "/run/netns/\(namespace)"), "netns \(namespace) left behind", sourceLocation: sourceLocation)
        }
        #expect(!FileManager.default.fileExists(atPath: footprint.leaseFile), "lease file left behind", sourceLocation: sourceLocation)
        #expect(kill(footprint.serverPID, 0) == -1 && errno == ESRCH, "server pid \(footprint.serverPID) still running", sourceLocation: sourceLocation)
    }

    struct BodyFailed: Error {}

    @Test("two labs at once: same addresses, separate namespaces, each client reaches its own pod")
    func parallelLabsDoNotCollide() async throws {
        async let first = Self.answer(podName: "alpha")
        async let second = Self.answer(podName: "beta")
        let (a, b) = try await (first, second)
        #expect(a.reply == "alpha")
        #expect(b.reply == "beta")
        #expect(Set(a.namespaces).isDisjoint(with: b.namespaces))
    }

    /// Builds a lab with one pod at 10.244.0.11 answering as `podName`, and connects to it from the client.
    private static func answer(podName: String) async throws -> (reply: String?, namespaces: [String]) {
        try await NetworkLab.with(LabSpec(pods: [podName])) { lab in
            let pod = try lab.pod(podName)
            #expect(pod.ipv4 == "10.244.0.11")
            try await lab.serve(in: pod, tcp: [8080])
            let outcome = try await lab.connect(from: lab.client, to: pod.ipv4, port: 8080)
            return (outcome.replyName, lab.topology.namespaces)
        }
    }

    @Test("teardown after a normal return removes namespaces, processes and the lease")
    func teardownAfterReturn() async throws {
        let footprint = try await NetworkLab.with(LabSpec(pods: ["web-1"], remotePods: ["web-r"])) { lab in
            let server = try await lab.serve(in: try lab.pod("web-1"), tcp: [8080])
            for namespace in lab.topology.namespaces {
                #expect(FileManager.default.fileExists(atPath: "/run/netns/\(namespace)"))
            }
            return Self.footprint(lab, server: server)
        }
        Self.expectGone(footprint)
    }

    @Test("teardown when the body throws: the body's error comes out, nothing stays behind")
    func teardownWhenBodyThrows() async throws {
        var seen: Footprint?
        do {
            try await NetworkLab.with(LabSpec(pods: ["web-1"])) { lab in
                let server = try await lab.serve(in: try lab.pod("web-1"), tcp: [8080])
                seen = Self.footprint(lab, server: server)
                throw BodyFailed()
            }
            Issue.record("the body's error was swallowed")
        } catch is BodyFailed {
            // expected
        }
        Self.expectGone(try #require(seen))
    }

    @Test("teardown when the test task is cancelled mid-body")
    func teardownWhenCancelled() async throws {
        let (started, startedContinuation) = AsyncStream.makeStream(of: Footprint.self)
        let task = Task {
            try await NetworkLab.with(LabSpec(pods: ["web-1"])) { lab in
                let server = try await lab.serve(in: try lab.pod("web-1"), tcp: [8080])
                startedContinuation.yield(Self.footprint(lab, server: server))
                // Park until cancelled: an AsyncStream's iteration ends when the iterating task is cancelled.
                let (parked, keepOpen) = AsyncStream.makeStream(of: Never.self)
                for await _ in parked {}
                withExtendedLifetime(keepOpen) {}
                try Task.checkCancellation()
            }
        }
        var iterator = started.makeAsyncIterator()
        let footprint = try #require(await iterator.next())
        task.cancel()
        let result = await task.result
        #expect(throws: CancellationError.self) { try result.get() }
        Self.expectGone(footprint)
    }

    @Test("a lab whose owner died is removed by the next lab; live labs are left alone")
    func orphanedLabIsReaped() async throws {
        // Simulate a crashed test process: namespaces with a lab prefix and a lease file nobody holds.
        let orphanID = "zz" + String(UInt32.random(in: 0...0xFFFF), radix: 16)
        let orphanNamespace = "pxl-\(orphanID)-node"
        let ip = try #require(["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"].first { FileManager.default.isExecutableFile(atPath: $0) })
        let added = Process()
        added.executableURL = URL(fileURLWithPath: ip)
        added.arguments = ["netns", "add", orphanNamespace]
        try added.run()
        added.waitUntilExit()
        try #require(added.terminationStatus == 0)
        try #require(FileManager.default.createFile(atPath: "/run/proxyd-lab/\(orphanID).lease", contents: Data("999999999\n".utf8)))

        try await NetworkLab.with(LabSpec(pods: [])) { lab in
            // Creating this lab reaped the orphan, unless a concurrently created lab's reaper got there first and
            // still holds the orphan's lease lock: wait for that lock (a reaper holds it only while deleting).
            let leasePath = "/run/proxyd-lab/\(orphanID).lease"
            let fd = open(leasePath, O_RDWR)
            if fd >= 0 {
                flock(fd, LOCK_EX)
                close(fd)
            }
            #expect(!FileManager.default.fileExists(atPath: "/run/netns/\(orphanNamespace)"), "orphan namespace not reaped")
            #expect(!FileManager.default.fileExists(atPath: leasePath))
            // This lab's own namespaces are untouched by its own (and any concurrent) reaper.
            #expect(FileManager.default.fileExists(atPath: "/run/netns/\(lab.node.namespace)"))
        }
    }
}
