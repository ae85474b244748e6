import Foundation
import Subprocess
import Testing

/// docs/configuration.md is the operator's reference for flags: it names every flag `proxyd --help` lists, aliases
/// included, so a new flag cannot ship undocumented.
@Suite("documentation")
struct DocumentationTests {
    @Test func theConfigurationReferenceNamesEveryFlag() async throws {
        let help = try await ProxydConfigurationCommandTests.proxyd(["--help"])
        #expect(help.status == .exited(0))
        let flags = Self.flags(inHelp: help.stdout)
        #expect(flags.count > 30 && flags.contains("--cluster-cidr") && flags.contains("--min-sync-period"), "\(flags)")
        let reference = try String(
            contentsOf: ConfigurationFileTests.packageRoot.appendingPathComponent("docs/configuration.md"), encoding: .utf8)
        let missing = flags.filter { !reference.contains("`\($0)`") && !reference.contains("`\($0) ") && !reference.contains("`\($0)=") }
        #expect(missing.isEmpty, "docs/configuration.md does not name \(missing.sorted())")
    }

    /// The flags of `--help`'s option lines (`  --sync-period <duration>`, `  -v, --v <level>`),
    /// not those mentioned in prose.
    static func flags(inHelp help: String) -> Set<String> {
        var flags: Set<String> = []
        for line in help.split(separator: "\n") where line.hasPrefix("  -") {
            for word in line.split(separator: " ") {
                let name = word.trimmingCharacters(in: CharacterSet(charactersIn: ","))
                guard name.hasPrefix("--"), name != "--help" else {
                    if !name.hasPrefix("-") { break }  // the value placeholder or the description: the names are over
                    continue
                }
                flags.insert(name)
            }
        }
        return flags
    }
}
