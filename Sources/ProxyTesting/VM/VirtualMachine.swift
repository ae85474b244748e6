import Backends
import Foundation
import Subprocess

#if canImport(System)
import System
#else
import SystemPackage
#endif

/// Runs a shell script as root inside a throwaway VM booted from the Debian kernel installed on this machine
/// (virtme-ng under qemu, software emulation), with the host's files visible read-only and one shared
/// directory writable — for kernel features this machine's own kernel lacks (IPVS, dummy interfaces).
///
/// The script's results come back through files it writes into the shared directory (the VM console mixes
/// its output with the kernel's). `make test` installs what it needs (`make vm-deps`): qemu-system-x86,
/// linux-image-amd64, busybox-static and virtme-ng.
///
/// - Important: The VM runs in a session of its own; when the script ends the VM powers off, and when the
///   deadline passes or the calling task is cancelled, the whole session (vng, qemu) is killed. Nothing of it
///   outlives the call.
public enum VirtualMachine {
    public struct Result: Sendable {
        /// The shared directory, holding what the script wrote.
        public var directory: String
        /// vng's exit status (the script's, when the VM ran it).
        public var succeeded: Bool
        /// The VM console and vng's messages, for failure reports.
        public var console: String
        public var duration: Duration

        /// A file the script wrote into the shared directory, trimmed; nil if it did not write it.
        public func file(_ name: String) -> String? {
            (try? String(contentsOfFile: directory + "/" + name, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
        }
    }

    /// How long a boot, the script and the power-off may take under software emulation on a busy machine.
    public static let defaultDeadline: Duration = .seconds(600)

    /// Boots a VM, runs `script` (with `$SHARED` set to the shared directory) and powers off.
    ///
    /// The caller removes `result.directory` when done.
    ///
    /// - Parameter created: Told the shared directory as soon as it exists (for callers that must clean up
    ///   after a failed run).
    /// - Parameter cpus, memory: The VM's size (qemu's `-smp`, `-m`); 1 CPU and 512 MiB suit a script of shell
    ///   commands, a lab of namespaces wants more.
    public static func run(
        script: String, deadline: Duration = defaultDeadline, cpus: Int = 1, memory: String = "512M",
        created: (String) -> Void = { _ in }
    ) async throws -> Result {
        let vng = try tool("vng", hint: "pip install virtme-ng (make vm-deps)")
        let kernel = try newestKernel()
        let directory = NSTemporaryDirectory() + "proxyd-vm-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        created(directory)
        try ("#!/bin/sh\nSHARED=\(directory)\nexport SHARED\n" + script).write(
            toFile: directory + "/script.sh", atomically: true, encoding: .utf8)
        let arguments = [
            "--run", kernel, "--disable-kvm", "--memory", memory, "--cpus", String(cpus), "--rwdir", directory,
            "--exec", "sh \(directory)/script.sh",
        ]
        let started = ContinuousClock.now
        let outcome: (Bool, String)? = try await withThrowingTaskGroup(of: (Bool, String)?.self) { group in
            group.addTask { try await boot(vng, arguments) }
            group.addTask {
                try await Task.sleep(for: deadline)
                return nil
            }
            let first = try await group.next()!
            group.cancelAll()  // the VM's teardown kills its whole session
            return first
        }
        guard let (succeeded, console) = outcome else {
            throw LabError(.readyTimeout, "the VM did not finish within \(deadline); it was killed")
        }
        return Result(directory: directory, succeeded: succeeded, console: console, duration: ContinuousClock.now - started)
    }

    /// Runs vng in a session of its own; cancelling kills the session (vng and the qemu it started).
    static func boot(_ vng: String, _ arguments: [String]) async throws -> (Bool, String) {
        var options = PlatformOptions()
        options.createSession = true
        options.teardownSequence = [.send(signal: .kill, toProcessGroup: true, allowedDurationToNextStep: .seconds(2))]
        let result = try await Subprocess.run(
            .path(FilePath(vng)), arguments: Arguments(arguments), platformOptions: options, input: .none,
            output: .string(limit: 16 << 20), error: .string(limit: 16 << 20))
        return (result.terminationStatus.isSuccess, result.standardOutput + result.standardError)
    }

    /// The newest kernel image in /boot (linux-image-amd64 installs one with IPVS and dummy as modules).
    static func newestKernel() throws -> String {
        let images = ((try? FileManager.default.contentsOfDirectory(atPath: "/boot")) ?? []).filter { $0.hasPrefix("vmlinuz-") }
        guard let newest = images.sorted(by: { $0.compare($1, options: .numeric) == .orderedAscending }).last else {
            throw LabError(.toolMissing, "no kernel image in /boot; install linux-image-amd64 (make vm-deps)")
        }
        return "/boot/" + newest
    }

    static func tool(_ name: String, hint: String) throws -> String {
        // pip installs vng for the user; pyenv puts shims of its own.
        let home = ProcessInfo.processInfo.environment["HOME"] ?? "/root"
        if let tool = CommandLineTool.find(name, alsoIn: [home + "/.local/bin", home + "/.pyenv/shims"]) { return tool.path }
        throw LabError(.toolMissing, "`\(name)` is not installed; \(hint)")
    }
}
