/// Kubernetes' rules for the names proxyd keys objects by and writes into rules and comments (apimachinery's
/// `IsDNS1123Label` and `IsDNS1123Subdomain`, as `pkg/apis/core/validation` and `pkg/apis/discovery/validation`
/// apply them).
///
/// The API server never stores an object that breaks them, so an object that does comes from a file, a broken or
/// hostile API server stand-in, or a bug: it is skipped at decode time, and such text never reaches the kernel.
public enum KubernetesName {
    /// 1–63 characters of `a-z`, `0-9` and `-`, starting and ending with a letter or digit: namespaces, Service
    /// names (Kubernetes asks a letter first for those, DNS-1035; the relaxed rule is accepted) and port names of
    /// Services and EndpointSlices.
    public static func isDNS1123Label(_ name: String) -> Bool {
        let bytes = name.utf8
        guard (1...63).contains(bytes.count) else { return false }
        return isLabel(bytes)
    }

    /// At most 253 characters: DNS-1123 labels (without their length limit) joined by `.`: names of EndpointSlices
    /// and Nodes.
    public static func isDNS1123Subdomain(_ name: String) -> Bool {
        let bytes = name.utf8
        guard (1...253).contains(bytes.count) else { return false }
        // One pass, no allocation (this runs for every EndpointSlice decoded): each part starts and ends with a
        // letter or digit.
        var previous = UInt8(ascii: ".")
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "."): guard isAlphanumeric(previous) else { return false }
            case UInt8(ascii: "-"): guard previous != UInt8(ascii: ".") else { return false }
            default: guard isAlphanumeric(byte) else { return false }
            }
            previous = byte
        }
        return isAlphanumeric(previous)
    }

    private static func isLabel(_ bytes: some BidirectionalCollection<UInt8>) -> Bool {
        guard let first = bytes.first, let last = bytes.last, isAlphanumeric(first), isAlphanumeric(last) else {
            return false
        }
        return bytes.allSatisfy { isAlphanumeric($0) || $0 == UInt8(ascii: "-") }
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    static let labelRule = "a DNS-1123 label (at most 63 characters of a-z, 0-9 and '-', starting and ending with a letter or digit)"
    static let subdomainRule = "a DNS-1123 subdomain (at most 253 characters of a-z, 0-9, '-' and '.', each part starting and ending with a letter or digit)"

    /// `text` quoted for a message, with quotes, backslashes and control characters escaped and at most 80
    /// characters shown, so that a hostile name cannot forge or flood a log line.
    public static func quotedForDisplay(_ text: some StringProtocol) -> String {
        var result = "\""
        var shown = 0
        for scalar in text.unicodeScalars {
            if shown == 80 {
                result += "…"
                break
            }
            shown += 1
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case " "..."~": result.unicodeScalars.append(scalar)
            default:
                if scalar.value < 0xA0 || scalar.properties.generalCategory == .format
                    || scalar.properties.generalCategory == .lineSeparator
                    || scalar.properties.generalCategory == .paragraphSeparator
                {
                    result += "\\u{\(String(scalar.value, radix: 16))}"
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result + "\""
    }
}

extension KubernetesObject {
    /// The first name of this object that breaks Kubernetes' rules, as an issue naming the object and the field;
    /// nil when every name proxyd uses is valid.
    ///
    /// Checked: `metadata.namespace` (a DNS-1123 label) and `metadata.name` (a label for Services, a subdomain
    /// for EndpointSlices and Nodes), and the port names of Services and EndpointSlices (a label, or empty).
    public func nameIssue(itemIndex: Int? = nil) -> ObjectDecodingIssue? {
        let meta = metadata
        func issue(_ field: String, _ value: String, _ rule: String) -> ObjectDecodingIssue {
            let namespace = meta.namespace.map { KubernetesName.isDNS1123Label($0) ? $0 : KubernetesName.quotedForDisplay($0) }
            let name = KubernetesName.isDNS1123Subdomain(meta.name) ? meta.name : KubernetesName.quotedForDisplay(meta.name)
            let object = kind == .node ? "Node \(name)" : "\(kind) \(namespace ?? "default")/\(name)"
            return ObjectDecodingIssue(
                object: object, fieldPath: field, message: "\(KubernetesName.quotedForDisplay(value)) is not \(rule)",
                itemIndex: itemIndex)
        }
        if kind != .node, let namespace = meta.namespace, !KubernetesName.isDNS1123Label(namespace) {
            return issue("metadata.namespace", namespace, KubernetesName.labelRule)
        }
        switch self {
        case .service(let service):
            if !KubernetesName.isDNS1123Label(meta.name) {
                return issue("metadata.name", meta.name, KubernetesName.labelRule)
            }
            for (index, port) in (service.spec.ports ?? []).enumerated() {
                if let name = port.name, !name.isEmpty, !KubernetesName.isDNS1123Label(name) {
                    return issue("spec.ports[\(index)].name", name, KubernetesName.labelRule)
                }
            }
        case .endpointSlice(let slice):
            if !KubernetesName.isDNS1123Subdomain(meta.name) {
                return issue("metadata.name", meta.name, KubernetesName.subdomainRule)
            }
            for (index, port) in (slice.ports ?? []).enumerated() {
                if let name = port.name, !name.isEmpty, !KubernetesName.isDNS1123Label(name) {
                    return issue("ports[\(index)].name", name, KubernetesName.labelRule)
                }
            }
        case .node:
            if !KubernetesName.isDNS1123Subdomain(meta.name) {
                return issue("metadata.name", meta.name, KubernetesName.subdomainRule)
            }
        }
        return nil
    }
}
