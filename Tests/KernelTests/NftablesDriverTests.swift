import ProxyTesting
import Backends
import Foundation
import Testing

/// A network namespace for one test, deleted when the test ends.
final class ScratchNamespace {
    let name = "pxd-drv-" + String(UUID().uuidString.prefix(8)).lowercased()
    var path: String { "/run/netns/\(name)" }

    init() throws {
        try Self.ip(["netns", "add", name])
    }

    deinit { try? Self.ip(["netns", "delete", name]) }

    static func ip(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
        process.arguments = arguments
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw CocoaError(.executableLoad, userInfo: [NSLocalizedDescriptionKey: "ip \(arguments.joined(separator: " ")) failed"])
        }
    }
}

@Suite("nftables driver against the kernel", .requiresRoot)
struct NftablesDriverTests {
    @Test func appliesATransactionAndListsIt() async throws {
        let namespace = try ScratchNamespace()
        let driver = try await NftablesDriver(networkNamespace: namespace.path)
        try await driver.apply(NftablesTransaction(lines: [
            "add table ip proxyd-test", "add chain ip proxyd-test c", "add rule ip proxyd-test c counter accept",
        ], isFull: true))
        let listing = try await driver.run("list table ip proxyd-test")
        #expect(listing.contains("chain c"))
        #expect(listing.contains("accept"))
    }

    @Test func aFailingTransactionAppliesNothingAndNamesTheLine() async throws {
        let namespace = try ScratchNamespace()
        let driver = try await NftablesDriver(networkNamespace: namespace.path)
        try await driver.apply(NftablesTransaction(lines: ["add table ip proxyd-test"], isFull: true))
        let failing = NftablesTransaction(lines: [
            "add chain ip proxyd-test first",
            "add rule ip proxyd-test first accept",
            "add rule ip proxyd-test nochain accept",
        ], isFull: false)
        await #expect {
            try await driver.apply(failing)
        } throws: { error in
            guard let error = error as? NftablesError else { return false }
            return error.line == 3 && error.lineText == "add rule ip proxyd-test nochain accept" && error.code == .notFound
        }
        let listing = try await driver.run("list table ip proxyd-test")
        #expect(!listing.contains("first"), "nothing of the failed transaction may remain")
    }

    @Test func aSyntaxErrorIsInvalidWithItsLine() async throws {
        let namespace = try ScratchNamespace()
        let driver = try await NftablesDriver(networkNamespace: namespace.path)
        do {
            try await driver.apply(NftablesTransaction(lines: ["add table ip proxyd-test", "add chian ip proxyd-test x"], isFull: true))
            Issue.record("a syntax error was accepted")
        } catch {
            #expect(error.code == .invalid)
            #expect(error.line == 2)
            #expect(error.message.contains("transaction:2:"))
        }
    }

    @Test func theDriverStaysInItsNamespace() async throws {
        let a = try ScratchNamespace()
        let b = try ScratchNamespace()
        let driverA = try await NftablesDriver(networkNamespace: a.path)
        let driverB = try await NftablesDriver(networkNamespace: b.path)
        try await driverA.apply(NftablesTransaction(lines: ["add table ip only-in-a"], isFull: true))
        let listingB = try await driverB.run("list tables")
        #expect(!listingB.contains("only-in-a"))
    }

    @Test func aMissingNamespaceIsAClearError() async {
        await #expect(throws: NftablesError.self) { try await NftablesDriver(networkNamespace: "/run/netns/pxd-does-not-exist") }
    }
}
