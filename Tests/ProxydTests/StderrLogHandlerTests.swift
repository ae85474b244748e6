import Testing

@testable import proxyd

/// Log records carry text from the cluster and from files: nothing in it may forge a record or drive a terminal.
@Suite("log escaping")
struct StderrLogHandlerTests {
    @Test(arguments: [
        ("Service default/web synced", "Service default/web synced"),
        ("tab\tstays", "tab\tstays"),
        ("clear\u{1b}[2Jscreen", "clear\\x1b[2Jscreen"),
        ("bell\u{07} nul\u{00} del\u{7f} csi\u{9b}", "bell\\x07 nul\\x00 del\\x7f csi\\x9b"),
        ("carriage\rreturn", "carriage\\x0dreturn"),
        ("a\nfake record", "a\n\tfake record"),
        ("bidi \u{202e}txt.exe \u{2066}x\u{2069}", "bidi \\u202etxt.exe \\u2066x\\u2069"),
        ("line\u{2028}separator", "line\\u2028separator"),
        ("naïve Grüße 東京 🙂", "naïve Grüße 東京 🙂"),
    ])
    func controlCharactersAreEscapedAndNewlinesContinueIndented(text: String, expected: String) {
        #expect(StderrLogHandler.escaped(text) == expected)
    }

    @Test func errorOutputKeepsItsLinesButEscapesTheRest() {
        #expect(StderrLogHandler.escaped("Error: x\u{1b}]0;t\u{07}\nUsage: proxyd", newline: "\n") == "Error: x\\x1b]0;t\\x07\nUsage: proxyd")
    }
}
