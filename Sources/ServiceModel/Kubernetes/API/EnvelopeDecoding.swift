import Foundation

/// Decodes the objects inside the API server's envelopes (list items, watch events) one at a time, so that an
/// object that is not even JSON as Foundation reads it — a syntax error, or nesting deeper than 512 — is
/// reported with its place and, as far as a lenient read finds it, its name, and the others still count.
enum EnvelopeDecoding {
    /// One object of `kind`, as `ObjectDecoding.decodeObject`; a syntax error is located in `context` (the whole
    /// watch event, say) when given, else in `data`.
    static func decodeObject(_ kind: ObjectKind, _ data: Data, locatingIn context: Data? = nil) throws(ObjectDecodingIssue) -> KubernetesObject {
        do {
            return try ObjectDecoding.decodeObject(kind, fromJSON: data)
        } catch var issue {
            if let syntax = JSONSyntaxError.find(in: context ?? data) ?? JSONSyntaxError.find(in: data) {
                issue.fieldPath = ""
                issue.message = "invalid JSON: \(syntax)"
                if let identity = identity(of: data, kind: kind) { issue.object = identity }
            }
            throw issue
        }
    }

    /// `Service shop/web` from `metadata.name` and `.namespace`, read without a depth limit and ignoring
    /// everything else; nil when there is no name before the bytes go wrong.
    static func identity(of data: Data, kind: ObjectKind) -> String? {
        data.withUnsafeBytes { raw -> String? in
            var reader = JSONReader(raw.bindMemory(to: UInt8.self))
            var name: String?
            var namespace: String?
            try? reader.readObject { reader, key throws(JSONReader.Mismatch) in
                guard key.equals("metadata"), try reader.peek() == UInt8(ascii: "{") else {
                    return try reader.skipValue(maximumDepth: .max)
                }
                try reader.readObject { reader, key throws(JSONReader.Mismatch) in
                    let isString = try reader.peek() == UInt8(ascii: "\"")
                    if key.equals("name") && isString {
                        name = try reader.string()
                    } else if key.equals("namespace") && isString {
                        namespace = try reader.string()
                    } else {
                        try reader.skipValue(maximumDepth: .max)
                    }
                }
            }
            guard let name else { return nil }
            return kind == .node ? "Node \(name)" : "\(kind) \(namespace ?? "default")/\(name)"
        }
    }

    /// The `type` of a watch event and the bytes of its `object`, skipping values without a depth limit so that
    /// an object nested too deep is still found whole (and then reported by name).
    static func splitWatchEvent(_ line: Data) -> (String, Data)? {
        line.withUnsafeBytes { raw -> (String, Data)? in
            var reader = JSONReader(raw.bindMemory(to: UInt8.self))
            var type: String?
            var range: Range<Int>?
            do {
                try reader.readObject { reader, key throws(JSONReader.Mismatch) in
                    if key.equals("type"), try reader.peek() == UInt8(ascii: "\"") {
                        type = try reader.string()
                    } else if key.equals("object") {
                        reader.skipWhitespace()
                        let start = reader.position
                        try reader.skipValue(maximumDepth: .max)
                        range = start..<reader.position
                    } else {
                        try reader.skipValue(maximumDepth: .max)
                    }
                }
                reader.skipWhitespace()
            } catch {
                return nil
            }
            guard reader.isAtEnd, let type, let range else { return nil }
            return (type, Data(UnsafeRawBufferPointer(rebasing: raw[range])))
        }
    }
}
