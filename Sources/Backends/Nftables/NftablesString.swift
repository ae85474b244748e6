/// Text proxyd does not control (object names, interface names), made safe to stand inside a double-quoted nft
/// string or after `#` on a comment line: it can neither end the string nor the line, so it can never add a
/// command to a transaction, and as a comment it is never longer than the kernel accepts.
///
/// nft's scanner reads a quoted string up to the next `"` and knows no escape for it; a line break ends a `#`
/// comment; libnftables reads the transaction as a C string, so a NUL byte would silently cut it short. Every
/// character that could do harm is therefore replaced with `?`: `"`, `\`, `*` (a wildcard in interface names),
/// control characters (C0, DEL, C1) and Unicode line and paragraph separators. Names that pass Kubernetes'
/// validation contain none of these and are kept as they are.
///
/// - Important: The renderer writes external text into a transaction only through this type.
struct NftablesString: Sendable, Hashable, CustomStringConvertible {
    /// The safe text, without quotes.
    let text: String

    /// The kernel's limit for a comment (`NFTNL_UDATA_COMMENT_MAXLEN`): nft refuses longer ones.
    static let commentLimit = 128

    /// `raw` made safe, cut to at most `maxBytes` UTF-8 bytes at a character boundary (kube-proxy truncates its
    /// comments to 128 bytes the same way).
    init(_ raw: some StringProtocol, maxBytes: Int = .max) {
        if raw.utf8.count <= maxBytes, raw.utf8.allSatisfy(Self.isPlainSafe) {
            text = String(raw)
            return
        }
        var result = String.UnicodeScalarView()
        var bytes = 0
        for scalar in raw.unicodeScalars {
            let safe: Unicode.Scalar = Self.isSafe(scalar) ? scalar : "?"
            let length = UTF8.width(safe)
            if bytes + length > maxBytes { break }
            bytes += length
            result.append(safe)
        }
        text = String(result)
    }

    /// A comment for an element or a chain: safe, and at most 128 bytes.
    static func comment(_ raw: some StringProtocol) -> NftablesString {
        NftablesString(raw, maxBytes: commentLimit)
    }

    /// The text in double quotes, as nft writes a string.
    var quoted: String { "\"" + text + "\"" }

    var description: String { text }

    /// Printable ASCII but the characters nft gives a meaning inside a string.
    private static func isPlainSafe(_ byte: UInt8) -> Bool {
        byte >= 0x20 && byte < 0x7f && byte != UInt8(ascii: "\"") && byte != UInt8(ascii: "\\") && byte != UInt8(ascii: "*")
    }

    private static func isSafe(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.isASCII { return isPlainSafe(UInt8(scalar.value)) }
        if scalar.value < 0xa0 { return false }  // C1 controls
        switch scalar.properties.generalCategory {
        case .lineSeparator, .paragraphSeparator, .control, .surrogate, .unassigned, .privateUse: return false
        default: return true
        }
    }
}
