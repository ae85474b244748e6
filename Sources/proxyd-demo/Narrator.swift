import Foundation

/// Writes the demo's story to standard output, one line at a time and unbuffered, so a person (or a test reading
/// the pipe) sees each line when it happens.
struct Narrator: Sendable {
    /// A step heading: `[2/6] ClusterIP: …`.
    func step(_ number: Int, of total: Int, _ title: String) {
        write("\n[\(number)/\(total)] \(title)")
    }

    /// Plain narration, indented under the current step.
    func say(_ text: String) {
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) { write("  " + line) }
    }

    /// A check that held.
    func passed(_ text: String) {
        write("  ✓ " + text)
    }

    /// A check that did not hold (the demo ends after this).
    func failed(_ text: String) {
        write("  ✗ " + text)
    }

    /// A line without indentation.
    func line(_ text: String = "") {
        write(text)
    }

    private func write(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }
}
