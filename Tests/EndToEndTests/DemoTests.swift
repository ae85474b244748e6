import Foundation
import Glibc
import ProxyTesting
import ServiceModel
import Subprocess
import Testing

@testable import proxyd_demo

#if canImport(System)
import System
#else
import SystemPackage
#endif

/// `make demo` — the built `proxyd-demo` — run whole as a newcomer runs it: every step's checks pass, and nothing it
/// created outlives it, whether it finishes, fails or is interrupted with Ctrl-C.
// A demo that stops answering (a hold that ignores Ctrl-C) fails the suite instead of hanging `make test`.
@Suite("make demo", .requiresRoot, .timeLimit(.minutes(3)))
struct DemoTests {
    static let examples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("examples").path

    @Test func theDemoPassesEveryStepAndLeavesNothingBehind() async throws {
        let run = try await DemoRun.start()
        #expect(run.status == .exited(0), "\(run)")
        for step in 1...DemoScript.steps {
            #expect(run.output.contains { $0.hasPrefix("[\(step)/\(DemoScript.steps)]") }, "step \(step) missing:\n\(run)")
        }
        #expect(!run.output.contains { $0.contains("✗") }, "\(run)")
        #expect(run.output.filter { $0.contains("✓") }.count >= 12, "\(run)")
        #expect(run.output.last?.hasPrefix("Demo finished") == true, "\(run)")
        run.expectNothingLeft()
    }

    /// Ctrl-C while proxyd runs on both nodes: the demo stops, cleans up, and exits 130 like an interrupted shell command.
    @Test func ctrlCStopsTheDemoAndLeavesNothingBehind() async throws {
        let run = try await DemoRun.start(interruptAt: { $0.contains("Before step 2/") })
        for node in DemoPlan.Node.allCases {
            #expect(run.output.contains { $0.contains("✓ \(node): ") && $0.hasSuffix("/healthz 200") }, "proxyd on \(node) never synced:\n\(run)")
        }
        #expect(!run.output.contains { $0.hasPrefix("[2/") }, "\(run)")
        #expect(run.status == .exited(130), "\(run)")
        #expect(run.output.contains("The demo was interrupted."), "\(run)")
        run.expectNothingLeft()
    }

    /// A failure after the cluster is built — here proxyd exits at once — ends the demo with exit status 1, a message
    /// saying what failed, and everything removed.
    @Test func aFailingDemoExits1AndLeavesNothingBehind() async throws {
        let run = try await DemoRun.start(arguments: ["--proxyd", "/bin/false"])
        #expect(run.status == .exited(1), "\(run)")
        #expect(run.output.contains { $0.contains("proxyd on node-a exited") }, "\(run)")
        run.expectNothingLeft()
    }

    // MARK: The checks themselves (pure)

    static func reply(_ name: String, from peer: IPAddress = "10.244.1.11") -> ConnectionOutcome {
        .reply(name: name, peer: IPSocketAddress(ip: peer, port: 40000))
    }

    @Test func aCheckHoldsWhenEveryExpectedPodAnsweredAndNoOther() throws {
        let tally = ConnectionTally([Self.reply("frontend-a"), Self.reply("frontend-b"), Self.reply("frontend-a")])
        try tally.requireAnswered(by: ["frontend-a", "frontend-b"], "ClusterIP")
        #expect(tally.summary == "frontend-a 2, frontend-b 1")
    }

    @Test(arguments: [
        ([reply("frontend-a"), .timeout], "1 of 2 connections got no answer"),
        ([reply("frontend-a"), reply("frontend-a")], "no answer from frontend-b"),
        ([reply("frontend-a"), reply("frontend-b"), reply("frontend-c")], "unexpected answers from frontend-c"),
    ])
    func aCheckFailsNamingWhatWasSeen(outcomes: [ConnectionOutcome], message: String) {
        #expect(throws: DemoFailure.self) { try ConnectionTally(outcomes).requireAnswered(by: ["frontend-a", "frontend-b"], "ClusterIP") }
        do {
            try ConnectionTally(outcomes).requireAnswered(by: ["frontend-a", "frontend-b"], "ClusterIP")
        } catch {
            #expect(error.message.contains(message), "\(error)")
        }
    }

    @Test func theClientAddressCheckFailsWhenAPodSawAnotherSource() {
        let masqueraded = ConnectionTally([Self.reply("checkout-b", from: "172.18.0.3")])
        #expect(throws: DemoFailure.self) { try masqueraded.requirePeers([DemoPlan.clientAddress], "eTP=Local") }
        let kept = ConnectionTally([Self.reply("frontend-a", from: DemoPlan.clientAddress)])
        #expect(throws: DemoFailure.self) { try kept.requireNoPeer(DemoPlan.clientAddress, "eTP=Cluster") }
    }
}

/// One run of the built `proxyd-demo`: its output, exit status, and the network namespaces it had while running (by
/// inode, so that a process still inside one is found even after the namespace's name is gone).
struct DemoRun: CustomStringConvertible {
    var status: TerminationStatus
    var output: [String]
    var namespaces: [String: UInt64]

    /// Runs the demo with `--hold` to its end, letting it go on at each hold (a line on its standard input), except at
    /// the hold `interruptAt` matches, where it sends SIGINT (Ctrl-C) instead.
    ///
    /// The demo waits at every hold until answered, so what the test does there does not depend on reading its output
    /// in time: at the first hold the namespaces are recorded, while they surely exist. Once the demo says it was
    /// interrupted its input ends, so a demo that kept waiting at the hold would go on (and fail the test), not hang.
    static func start(arguments: [String] = [], interruptAt: (@Sendable (String) -> Bool)? = nil) async throws -> DemoRun {
        let demo = try LabBinaries.path(of: "proxyd-demo")
        let result = try await Subprocess.run(
            .path(FilePath(demo)), arguments: Arguments(["--examples", DemoTests.examples, "--hold"] + arguments),
            input: .inputWriter, output: .sequence, error: .discarded
        ) { execution in
            var lines: [String] = []
            var namespaces: [String: UInt64] = [:]
            var prefix: String?
            for try await line in execution.standardOutput.strings() {
                let text = line.trimmingCharacters(in: .newlines)
                lines.append(text)
                // "… (network namespaces pxl-<id>-*):", printed before the first hold.
                if let range = text.range(of: "network namespaces "), let end = text.range(of: "*)", range: range.upperBound..<text.endIndex) {
                    prefix = String(text[range.upperBound..<end.lowerBound])
                }
                if text.hasPrefix("Interrupted") { try await execution.standardInputWriter.finish() }
                guard text.hasPrefix(Hold.marker) else { continue }
                if namespaces.isEmpty, let prefix { namespaces = Self.namespaceInodes(prefix: prefix) }
                if let interruptAt, interruptAt(text) {
                    kill(execution.processIdentifier.value, SIGINT)
                } else {
                    _ = try await execution.standardInputWriter.write("\n")
                }
            }
            return (lines, namespaces)
        }
        let (lines, namespaces) = result.closureResult
        return DemoRun(status: result.terminationStatus, output: lines, namespaces: namespaces)
    }

    /// Named namespaces starting with `prefix`, and their inodes (the namespace's identity in /proc/PID/ns/net).
    static func namespaceInodes(prefix: String) -> [String: UInt64] {
        var found: [String: UInt64] = [:]
        for name in (try? FileManager.default.contentsOfDirectory(atPath: "/run/netns")) ?? [] where name.hasPrefix(prefix) {
            var info = stat()
            if stat("/run/netns/" + name, &info) == 0 { found[name] = UInt64(info.st_ino) }
        }
        return found
    }

    /// The namespaces are gone, by name and by identity: no process is still inside one.
    func expectNothingLeft(sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(!namespaces.isEmpty, "the demo's namespaces were never seen:\n\(self)", sourceLocation: sourceLocation)
        let names = Set((try? FileManager.default.contentsOfDirectory(atPath: "/run/netns")) ?? [])
        #expect(names.isDisjoint(with: namespaces.keys), "namespaces left: \(names.intersection(namespaces.keys))", sourceLocation: sourceLocation)
        let inodes = Set(namespaces.values)
        var inside: [String] = []
        for pid in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] where Int32(pid) != nil {
            guard let link = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/ns/net"),
                let inode = UInt64(link.dropFirst("net:[".count).dropLast()), inodes.contains(inode)
            else { continue }
            let command = (try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8))?.replacingOccurrences(of: "\0", with: " ")
            inside.append("\(pid) \(command ?? "?")")
        }
        #expect(inside.isEmpty, "processes still in the demo's namespaces: \(inside)", sourceLocation: sourceLocation)
    }

    var description: String { "exit \(status); output:\n" + output.joined(separator: "\n") }
}
