/// The rules an interface name (`--pod-bridge-interface`) or an interface name prefix
/// (`--pod-interface-name-prefix`) must follow before proxyd matches packets on it.
///
/// Linux accepts 1–15 bytes without `/`, `:` or white space (`dev_valid_name`); proxyd writes the name into an
/// nft string, where `"` would end it and `\` and `*` have meanings, so it refuses those too, and anything that is
/// not printable ASCII. A prefix follows the same rules (a longer one could match nothing).
public enum NetworkInterfaceName {
    /// The longest name Linux accepts (`IFNAMSIZ` − 1).
    public static let maxBytes = 15

    /// What is wrong with `name` as an interface name (or prefix), completing "… is not a usable interface
    /// name: …"; nil when it is fine.
    public static func problem(_ name: String, isPrefix: Bool = false) -> String? {
        let bytes = name.utf8
        if bytes.isEmpty { return "it is empty" }
        if bytes.count > maxBytes { return "it is \(bytes.count) bytes long; Linux allows at most \(maxBytes)" }
        if !isPrefix, name == "." || name == ".." { return "Linux does not allow \(name) as an interface name" }
        if let bad = bytes.first(where: { !isAllowed($0) }) {
            let shown = (0x21..<0x7f).contains(bad)
                ? "'\(Character(Unicode.Scalar(bad)))'" : bad == 0x20 || bad == 0x09 ? "white space" : "byte 0x\(String(bad, radix: 16))"
            return "\(shown) is not allowed; use printable ASCII without white space, '/', ':', '\"', '\\' or '*'"
        }
        return nil
    }

    private static func isAllowed(_ byte: UInt8) -> Bool {
        guard (0x21..<0x7f).contains(byte) else { return false }
        return !"/:\"\\*".utf8.contains(byte)
    }
}
