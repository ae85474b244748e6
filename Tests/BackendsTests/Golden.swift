import Foundation
import Testing

/// Reviewed outputs in `Golden/`: a test renders, compares with the file, and with UPDATE_GOLDEN=1 rewrites the file
/// first (after a deliberate change; then review the diff).
enum Golden {
    static func compare(_ text: String, file name: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let golden = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden/\(name)")
        if ProcessInfo.processInfo.environment["UPDATE_GOLDEN"] == "1" {
            try text.write(to: golden, atomically: true, encoding: .utf8)
        }
        let expected = try String(contentsOf: golden, encoding: .utf8)
        #expect(text == expected, sourceLocation: sourceLocation)
    }
}
