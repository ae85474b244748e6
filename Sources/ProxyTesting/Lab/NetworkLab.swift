import Foundation
import Glibc
import Synchronization

/// A set of network namespaces wired as a small cluster — a node, its pods, an outside client and optionally a
/// remote node with pods — in which kernel tests apply proxyd's rules and send real connections.
///
/// Use ``with(_:isolation:_:)``: it builds the lab, runs the body, and tears the lab down on every exit path.
///
/// ```swift
/// try await NetworkLab.with(LabSpec(pods: ["web-1"])) { lab in
///     let web1 = try lab.pod("web-1")
///     try await lab.serve(in: web1, tcp: [8080])
///     let outcome = try await lab.connect(from: lab.client, to: web1.ipv4, port: 8080)
///     #expect(outcome.replyName == "web-1")
/// }
/// ```
///
/// - Important: A lab only ever creates, changes and deletes its own namespaces (`pxl-<id>-…`), the veths inside
///   them, and processes it started there. It never creates anything in the root namespace and only sends
///   traffic to addresses inside its namespaces. Teardown stops every process the lab started, kills anything
///   else still running in its namespaces, and deletes them all, also when the body throws or the task is
///   cancelled; labs left by a crashed test process are removed by the next lab created (see `LabLease`).
public final class NetworkLab: Sendable {
    public let topology: LabTopology

    private let lease: LabLease
    private let state = Mutex(State())

    private struct State {
        var processes: [LabProcess] = []
        var tornDown = false
    }

    private init(topology: LabTopology, lease: LabLease) {
        self.topology = topology
        self.lease = lease
    }

    /// The lab's random ID, the middle of every namespace name.
    public var id: String { topology.labID }
    /// The node under test: proxyd's rules go here.
    public var node: LabHost { topology.node }
    /// The outside client on the node network.
    public var client: LabHost { topology.client }
    /// The remote node, if the spec has remote pods.
    public var remoteNode: LabHost? { topology.remoteNode }
    /// Pods on the node, in spec order.
    public var pods: [LabHost] { topology.pods }
    /// Pods on the remote node, in spec order.
    public var remotePods: [LabHost] { topology.remotePods }

    /// A pod (local or remote) by name.
    public func pod(_ name: String) throws(LabError) -> LabHost {
        guard let pod = topology.pod(name) else {
            throw LabError(.unknownHost, "lab \(id) has no pod \"\(name)\"; it has \((pods + remotePods).map(\.name))")
        }
        return pod
    }

    // MARK: Lifecycle

    /// Builds a lab, runs `body` with it, and tears it down whatever happens.
    ///
    /// Teardown runs after `body` returns, throws, or is cancelled, and is itself never cancelled. If `body`
    /// throws, its error is rethrown (a teardown problem is then only printed); if `body` succeeds but teardown
    /// leaves something behind, that is the error.
    public static func with<Result>(
        _ spec: LabSpec = LabSpec(),
        isolation: isolated (any Actor)? = #isolation,
        _ body: (NetworkLab) async throws -> Result
    ) async throws -> Result {
        let lab = try await create(spec)
        let result: Result
        do {
            result = try await body(lab)
        } catch {
            do {
                try await lab.destroyUncancelled()
            } catch let teardownError {
                FileHandle.standardError.write(Data("\(teardownError)\n".utf8))
            }
            throw error
        }
        try await lab.destroyUncancelled()
        return result
    }

    /// Builds a lab. Prefer ``with(_:isolation:_:)``; a caller of `create` must call ``destroy()``.
    ///
    /// Before building, removes labs whose test process died without tearing down. If building fails, whatever
    /// was built is removed again before the error is thrown.
    public static func create(_ spec: LabSpec = LabSpec()) async throws -> NetworkLab {
        try spec.validate()
        _ = try SystemTool.ip.path()
        await LabAdmission.shared.enter()
        let lab: NetworkLab
        do {
            await reapOrphans()
            let lease = try LabLease.acquire()
            lab = NetworkLab(topology: LabTopology(labID: lease.labID, spec: spec), lease: lease)
        } catch {
            await LabAdmission.shared.leave()
            throw error
        }
        do {
            try await lab.build()
        } catch {
            try? await lab.destroyUncancelled()
            throw error
        }
        return lab
    }

    private func build() async throws {
        let plan = topology.setupPlan
        let ip = try SystemTool.ip.path()
        try await CommandRunner.run([ip, "-batch", "-"], input: plan.namespaces.map { "netns add \($0)\n" }.joined())
            .requireSuccess()
        try await Self.runConcurrently(plan.sysctls) { [ip, "netns", "exec", $0.namespace, "/bin/sh", "-c", Self.sysctlScript($0.lines)] }
        try await Self.runConcurrently(plan.links, batch: true) { [ip, "-n", $0.namespace, "-batch", "-"] }
        try await Self.runConcurrently(plan.addressing, batch: true) { [ip, "-n", $0.namespace, "-batch", "-"] }
        try await waitUntilReady(plan, ip: ip)
    }

    /// How long a new lab's links may take to become ready (normally a few milliseconds; seconds when the machine
    /// is busy building). A deadline for a broken setup, not a synchronization.
    static let readinessDeadline: Duration = .seconds(30) * LabProcess.slowdown

    /// Waits until every namespace's links pass ``LabReadiness``, so a test's first packet is not lost.
    private func waitUntilReady(_ plan: LabSetupPlan, ip: String) async throws {
        let deadline = ContinuousClock.now + Self.readinessDeadline
        var expected: [String: [LabReadiness.IPv6Assignment]] = [:]
        for batch in plan.addressing { expected[batch.namespace, default: []] += LabReadiness.ipv6Assignments(in: batch) }
        var pending = Set(topology.namespaces)
        while true {
            let problems = try await withThrowingTaskGroup(of: (String, [String]).self) { group in
                for namespace in pending {
                    let assignments = expected[namespace] ?? []
                    group.addTask {
                        let links = try await CommandRunner.run([ip, "-n", namespace, "-j", "-d", "link", "show"]).requireSuccess()
                        let groups = try await CommandRunner.run([ip, "-n", namespace, "-j", "-6", "maddr", "show"]).requireSuccess()
                        let problems = LabReadiness.problems(
                            linksJSON: Data(links.stdout.utf8), multicastJSON: Data(groups.stdout.utf8), expected: assignments
                        )
                        return (namespace, problems)
                    }
                }
                var found: [String: [String]] = [:]
                for try await (namespace, problems) in group where !problems.isEmpty { found[namespace] = problems }
                return found
            }
            if problems.isEmpty { return }
            pending = Set(problems.keys)
            if ContinuousClock.now >= deadline {
                let report = problems.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value.joined(separator: "; "))" }
                throw LabError(.notReady, "links not ready after \(Self.readinessDeadline): \(report.joined(separator: " | "))")
            }
            // Polling, because the kernel's link-watch and addrconf work items post no event a test could await.
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// Writes `key=value` settings to /proc/sys of the namespace the shell runs in (/proc/sys/net is per network
    /// namespace). A shell rather than sysctl(8), which minimal images lack; keys and values are the plan's constants.
    static func sysctlScript(_ settings: [String]) -> String {
        settings.map { setting in
            let (key, value) = (setting.prefix { $0 != "=" }, setting.drop { $0 != "=" }.dropFirst())
            return "echo \(value) > /proc/sys/\(key.replacingOccurrences(of: ".", with: "/"))"
        }.joined(separator: " && ")
    }

    private static func runConcurrently(
        _ batches: [LabSetupPlan.Batch], batch: Bool = false, _ argv: @escaping @Sendable (LabSetupPlan.Batch) -> [String]
    ) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for item in batches {
                group.addTask {
                    let input = batch ? item.lines.map { $0 + "\n" }.joined() : nil
                    let result = try await CommandRunner.run(argv(item), input: input)
                    guard result.succeeded else {
                        throw LabError(
                            .commandFailed,
                            "setting up netns \(item.namespace) failed: \(result)\(batch ? "\nbatch:\n" + item.lines.joined(separator: "\n") : "")"
                        )
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    /// Tears the lab down: stops its processes, kills anything left in its namespaces, deletes the namespaces
    /// (which destroys their veths and nftables tables), and ends the lease. Idempotent.
    ///
    /// - Throws: ``LabError/Code/teardownIncomplete`` naming namespaces that could not be deleted; the lease file then
    ///   stays, so the next lab created retries the cleanup.
    public func destroy() async throws {
        let processes: [LabProcess]? = state.withLock { state in
            if state.tornDown { return nil }
            state.tornDown = true
            defer { state.processes.removeAll() }
            return state.processes
        }
        guard let processes else { return }
        do {
            try await tearDown(processes)
        } catch {
            await LabAdmission.shared.leave()
            throw error
        }
        await LabAdmission.shared.leave()
    }

    private func tearDown(_ processes: [LabProcess]) async throws {
        await withTaskGroup(of: Void.self) { group in
            for process in processes { group.addTask { await process.stop() } }
        }
        let remaining = await Self.removeNamespaces(Set(topology.namespaces))
        guard remaining.isEmpty else {
            lease.abandon()
            throw LabError(.teardownIncomplete, "lab \(id): could not delete netns \(remaining.sorted().joined(separator: ", "))")
        }
        lease.release()
    }

    /// Teardown in a task of its own, so a cancelled test still cleans up completely.
    private func destroyUncancelled() async throws {
        try await Task { try await self.destroy() }.value
    }

    /// Deletes those of `names` that exist, after killing every process inside them; returns those still there.
    private static func removeNamespaces(_ names: Set<String>) async -> Set<String> {
        guard let ip = try? SystemTool.ip.path() else { return names }
        let existing = names.intersection(existingNamespaces())
        if existing.isEmpty { return [] }
        // Processes the lab did not track (or that outlived a stop): they are inside our namespaces, so ours.
        for namespace in existing.sorted() {
            let pids = (try? await CommandRunner.run([ip, "netns", "pids", namespace]))?.stdout ?? ""
            for pid in pids.split(whereSeparator: \.isNewline).compactMap({ Int32($0) }) where pid != getpid() {
                kill(pid, SIGKILL)
            }
        }
        _ = try? await CommandRunner.run([ip, "-force", "-batch", "-"], input: existing.sorted().map { "netns del \($0)\n" }.joined())
        return names.intersection(existingNamespaces())
    }

    /// Named network namespaces (the files `ip netns add` creates).
    static func existingNamespaces() -> Set<String> {
        Set((try? FileManager.default.contentsOfDirectory(atPath: "/run/netns")) ?? [])
    }

    /// Removes the namespaces of labs whose test process died before teardown (their lease lock is free).
    static func reapOrphans() async {
        for orphan in LabLease.orphans() {
            let names = existingNamespaces().filter { $0.hasPrefix("pxl-\(orphan.labID)-") }
            let remaining = await removeNamespaces(names)
            if remaining.isEmpty {
                LabLease.finishOrphan(labID: orphan.labID, fd: orphan.fd)
                if !names.isEmpty {
                    FileHandle.standardError.write(Data("lab: removed \(names.count) namespaces left by crashed lab \(orphan.labID)\n".utf8))
                }
            } else {
                close(orphan.fd)
            }
        }
    }

    // MARK: Process registry (used by NetworkLab+Processes)

    /// Records a started process for teardown; if the lab is already torn down, stops it and throws.
    func register(_ process: LabProcess) async throws {
        let accepted = state.withLock { state in
            if state.tornDown { return false }
            state.processes.append(process)
            return true
        }
        if !accepted {
            await process.stop()
            throw LabError(.commandFailed, "lab \(id) is torn down; \(process) was stopped again")
        }
    }

    func unregister(_ process: LabProcess) {
        state.withLock { state in state.processes.removeAll { $0 === process } }
    }

    func requireAlive() throws(LabError) {
        if state.withLock({ $0.tornDown }) { throw LabError(.commandFailed, "lab \(id) is already torn down") }
    }
}
