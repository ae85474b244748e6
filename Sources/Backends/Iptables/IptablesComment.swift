/// A `-m comment --comment "…"` argument, safe for `iptables-restore` whatever text it is given.
///
/// Comments carry Service and port names, which come from the cluster and are treated as hostile: a name with a
/// quote, a backslash or a newline must not end the argument early or start a new restore line (which would
/// let a Service name inject rules).
///
/// - Important: The result is one quoted word on one line: control characters become `?`, `"` and `\` are
///   escaped (iptables-restore's quoting), and the text is cut to the kernel's limit of 255 bytes
///   (`XT_MAX_COMMENT_LEN` less the terminating zero) at a character boundary, before escaping, so the comment
///   stored is exactly the text rendered.
struct IptablesComment: Sendable, Hashable {
    /// The comment as the kernel stores it.
    let text: String

    /// The kernel's limit for a comment, in bytes.
    static let maximumBytes = 255

    init(_ raw: String) {
        // Nearly every comment is printable ASCII well under the limit: keep it as it is.
        if raw.utf8.count <= Self.maximumBytes, raw.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7f }) {
            text = raw
            return
        }
        var sanitized = ""
        var bytes = 0
        for scalar in raw.unicodeScalars {
            let safe: Unicode.Scalar = scalar.value < 0x20 || scalar.value == 0x7f ? "?" : scalar
            let size = UTF8.width(safe)
            if bytes + size > Self.maximumBytes { break }
            bytes += size
            sanitized.unicodeScalars.append(safe)
        }
        text = sanitized
    }

    /// `--comment "…"` with the text quoted and escaped for iptables-restore.
    var argument: String {
        if !text.utf8.contains(where: { $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            return "--comment \"" + text + "\""
        }
        var out = "--comment \""
        for character in text.unicodeScalars {
            if character == "\"" || character == "\\" { out.unicodeScalars.append("\\") }
            out.unicodeScalars.append(character)
        }
        out.append("\"")
        return out
    }

    /// `-m comment --comment "…"`.
    var match: String { "-m comment " + argument }
}
