import Foundation
import ProxyTesting
import Subprocess
import Testing

/// `--objects` with hostile or malformed files, run as an operator would: the built binary.
@Suite("proxyd with bad object files")
struct ObjectFilesCommandTests {
    /// 200 KB of `[` once overflowed the JSON reader's stack: SIGSEGV, no message, on every start.
    @Test func deeplyNestedJSONIsAnErrorNotACrash() async throws {
        try await ProxydConfigurationCommandTests.withDirectory { directory in
            let prefix = #"{"apiVersion":"v1","kind":"Service","metadata":{"name":"evil"},"x":"#
            let file = directory + "/deep.json"
            try (prefix + String(repeating: "[", count: 50_000) + String(repeating: "]", count: 50_000) + "}")
                .write(toFile: file, atomically: true, encoding: .utf8)
            let result = try await ProxydConfigurationCommandTests.proxyd(["--objects", directory, "--hostname-override", "node-a", "--dry-run"])
            #expect(result.status == .exited(1), "\(result)")
            #expect(result.stderr.contains("\(file):1:\(prefix.utf8.count + 512): invalid JSON: objects and arrays nested more than 512 deep"), "\(result)")
            #expect(result.stdout.isEmpty)
        }
    }

    @Test func aJSONSyntaxErrorNamesLineAndColumn() async throws {
        try await ProxydConfigurationCommandTests.withDirectory { directory in
            let file = directory + "/web.json"
            try "{\"apiVersion\": \"v1\", \"kind\": \"Service\",\n \"metadata\": {\"name\": web}}\n".write(toFile: file, atomically: true, encoding: .utf8)
            let result = try await ProxydConfigurationCommandTests.proxyd(["--objects", file, "--hostname-override", "node-a", "--dry-run"])
            #expect(result.status == .exited(1), "\(result)")
            #expect(result.stderr.contains("\(file):2:23: invalid JSON: unexpected character 'w'"), "\(result)")
        }
    }
}
