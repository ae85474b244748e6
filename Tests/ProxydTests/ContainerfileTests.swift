import Foundation
import ProxyTesting
import Subprocess
import Testing

#if canImport(System)
import System
#else
import SystemPackage
#endif

/// The Containerfile's runtime stage installs the Debian packages of exactly the libraries proxyd links — checked
/// against the built binary, so a new system library in Package.swift (or one dropped) fails here, not in a cluster.
///
/// The release image links the Swift runtime and Foundation statically (`--static-swift-stdlib`); a release build
/// costs minutes, so the test reads the debug build, which links the same code dynamically: the system libraries
/// the release binary needs are the debug binary's own dependencies plus those of the Swift runtime libraries it
/// loads from the toolchain (which the static build links in). Checked once by hand: a `-static-stdlib` build of
/// Foundation + FoundationNetworking needs exactly libcurl.so.4, libstdc++.so.6, libm, libgcc_s and libc — what
/// this walk finds for them.
@Suite("Containerfile")
struct ContainerfileTests {
    static let containerfile = ConfigurationFileTests.packageRoot.appendingPathComponent("Containerfile").path

    /// Computed once for the suite's tests (ldd, readelf and dpkg over the built binary).
    static let linked = Task { try await linkedPackages() }

    @Test func theRuntimeStageInstallsThePackageOfEveryLibraryProxydLinks() async throws {
        let linked = try await Self.linked.value
        let installed = try Self.runtimePackages()
        let missing = Set(linked.keys).subtracting(installed)
        #expect(missing.isEmpty, "the runtime stage lacks \(missing.sorted().map { "\($0) (\(linked[$0]!.joined(separator: ", ")))" })")
    }

    /// A library package nothing links is dead weight (and a sign the list was not updated when a dependency went).
    @Test func theRuntimeStageInstallsNoLibraryProxydDoesNotLink() async throws {
        let linked = try await Self.linked.value
        let libraries = try Self.runtimePackages().filter { $0.hasPrefix("lib") }
        let unused = libraries.subtracting(linked.keys)
        #expect(unused.isEmpty, "the runtime stage installs libraries proxyd does not link: \(unused.sorted())")
        // The tools the issue and the modes ask for are there too.
        #expect(try Self.runtimePackages().isSuperset(of: ["nftables", "iptables", "ipset", "ca-certificates"]))
    }

    @Test func theBuildStageLinksTheSwiftRuntimeStatically() throws {
        let build = try Self.stage("build")
        #expect(build.contains("swift build -c release --product proxyd --static-swift-stdlib"))
        #expect(try Self.stage("runtime").contains("COPY --from=build /out/proxyd /usr/local/bin/proxyd"))
    }

    // MARK: The binary

    /// Debian package → the linked libraries it provides.
    static func linkedPackages() async throws -> [String: [String]] {
        let binary = try LabBinaries.path(of: "proxyd")
        let resolved = try await resolvedLibraries(binary)
        var system: [String: String] = [:]  // library → path
        var pending = try await needed(binary)
        var visited: Set<String> = []
        while let library = pending.popLast() {
            guard visited.insert(library).inserted else { continue }
            guard let path = resolved[library] else {
                throw ManifestTestError("ldd did not resolve \(library), which \(binary) or a Swift runtime library needs")
            }
            if path.contains("/lib/swift/") {
                // A Swift runtime library: linked statically into the release binary, its dependencies with it.
                pending += try await needed(path)
            } else {
                system[library] = path
            }
        }
        let owners = try await owningPackages(Array(system.values))
        var packages: [String: [String]] = [:]
        for (library, path) in system {
            guard let package = owners[path] else {
                throw ManifestTestError("\(path) (\(library)) belongs to no Debian package and is not the Swift runtime")
            }
            packages[package, default: []].append(library)
        }
        return packages.mapValues { $0.sorted() }
    }

    /// The shared libraries a file names (ELF `NEEDED`).
    static func needed(_ file: String) async throws -> [String] {
        try await run("readelf", ["-d", "-W", file]).split(separator: "\n").compactMap { line in
            guard line.contains("(NEEDED)"), let open = line.firstIndex(of: "["), let close = line.lastIndex(of: "]") else { return nil }
            return String(line[line.index(after: open)..<close])
        }
    }

    /// Library name → path, as the dynamic loader resolves them for `binary` (transitively).
    static func resolvedLibraries(_ binary: String) async throws -> [String: String] {
        var resolved: [String: String] = [:]
        for line in try await run("ldd", [binary]).split(separator: "\n") {
            let parts = line.trimmingCharacters(in: .whitespaces).split(separator: " ")
            if parts.count >= 3, parts[1] == "=>" {
                resolved[String(parts[0])] = String(parts[2])
            } else if let path = parts.first, path.hasPrefix("/") {
                resolved[URL(fileURLWithPath: String(path)).lastPathComponent] = String(path)  // the loader itself
            }
        }
        return resolved
    }

    /// The Debian package owning each file (one `dpkg -S` for all), trying each path as given, resolved, and across
    /// the /usr merge (dpkg knows `/lib/x86_64-linux-gnu/libc.so.6`, the loader may say `/usr/lib/…`).
    static func owningPackages(_ paths: [String]) async throws -> [String: String] {
        var candidates: [String: String] = [:]  // candidate path → the path asked about
        for path in paths {
            let real = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
            for candidate in [path, real] {
                candidates[candidate] = path
                candidates[candidate.hasPrefix("/usr/") ? String(candidate.dropFirst(4)) : "/usr" + candidate] = path
            }
        }
        // dpkg exits 1 when some candidate is unknown (the other spellings): read what it found.
        let result = try await Subprocess.run(
            .name("dpkg"), arguments: Arguments(["-S"] + candidates.keys.sorted()), output: .string(limit: 1 << 20),
            error: .discarded)
        var owners: [String: String] = [:]
        for line in result.standardOutput.split(separator: "\n") {
            // `libc6:amd64: /lib/x86_64-linux-gnu/libc.so.6` (diversions and several owners aside)
            guard let separator = line.range(of: ": /") else { continue }
            let file = String(line[line.index(after: separator.lowerBound)...]).trimmingCharacters(in: .whitespaces)
            guard let path = candidates[file] else { continue }
            owners[path] = String(line[..<separator.lowerBound].split(separator: ",")[0].split(separator: ":")[0])
        }
        return owners
    }

    static func run(_ tool: String, _ arguments: [String]) async throws -> String {
        let result = try await Subprocess.run(
            .name(tool), arguments: Arguments(arguments), output: .string(limit: 1 << 20), error: .string(limit: 1 << 16))
        guard result.terminationStatus.isSuccess else {
            throw ManifestTestError("\(tool) \(arguments.joined(separator: " ")) failed: \(result.standardError)")
        }
        return result.standardOutput
    }

    // MARK: The Containerfile

    /// A stage's instructions, continuation lines joined: from `FROM … AS name` to the next `FROM`.
    static func stage(_ name: String) throws -> String {
        let text = try String(contentsOfFile: containerfile, encoding: .utf8)
        var stages: [String: [String]] = [:]
        var current: String?
        var logical = ""
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("#") { continue }
            logical += trimmed.hasSuffix("\\") ? String(trimmed.dropLast()) + " " : trimmed
            if trimmed.hasSuffix("\\") { continue }
            let instruction = logical
            logical = ""
            let words = instruction.split(separator: " ")
            if words.first?.uppercased() == "FROM" {
                current = words.count >= 4 && words[2].uppercased() == "AS" ? String(words[3]) : nil
            } else if let current, !instruction.isEmpty {
                stages[current, default: []].append(instruction)
            }
        }
        guard let instructions = stages[name] else { throw ManifestTestError("Containerfile has no stage \(name)") }
        return instructions.joined(separator: "\n")
    }

    /// The packages the runtime stage's `apt-get install` names.
    static func runtimePackages() throws -> Set<String> {
        var packages: Set<String> = []
        for command in try stage("runtime").components(separatedBy: "&&") {
            let words = command.split(whereSeparator: \.isWhitespace).map(String.init)
            guard let install = words.firstIndex(of: "install"), words[..<install].contains("apt-get") else { continue }
            packages.formUnion(words[(install + 1)...].filter { !$0.hasPrefix("-") })
        }
        return packages
    }
}
