import Foundation

/// One page of a list response (`ServiceList`, `EndpointSliceList`, `NodeList`): the items, the list's
/// resourceVersion (where a watch starts) and the token for the next page.
///
/// - Important: One bad item never loses the others: it becomes an issue naming the object and the field.
public struct ListPage: Sendable {
    public var objects: [KubernetesObject] = []
    public var issues: [ObjectDecodingIssue] = []
    public var resourceVersion: String?
    /// `metadata.continue`; nil or empty on the last page.
    public var continueToken: String?

    public init() {}

    /// Decodes a list of `kind` objects (the items of a typed list carry no `kind` of their own).
    ///
    /// - Throws: when the body is not a JSON object at all; the issue says why and where (line, column).
    public static func decode(_ kind: ObjectKind, fromJSON data: Data) throws(ObjectDecodingIssue) -> ListPage {
        if let page = FastObjectDecoding.decodeListPage(kind, data) { return page }
        return try decodeItemByItem(kind, data)
    }

    /// The slow path: splits the items with the fast path's reader (skipping each without a depth limit, so that an
    /// item nested too deep is still found whole) and decodes each on its own, so that a bad item is reported
    /// precisely and the others still count.
    static func decodeItemByItem(_ kind: ObjectKind, _ data: Data) throws(ObjectDecodingIssue) -> ListPage {
        let list = "\(kind)List"
        if String(validating: data, as: UTF8.self) == nil, let syntax = JSONSyntaxError.find(in: data) {
            throw ObjectDecodingIssue(object: list, fieldPath: "", message: "invalid JSON: \(syntax)")
        }
        var page = ListPage()
        var items: [Range<Int>] = []
        var itemsIsNotAList = false
        let syntaxError = data.withUnsafeBytes { raw -> JSONSyntaxError? in
            let bytes = raw.bindMemory(to: UInt8.self)
            var reader = JSONReader(bytes)
            do throws(JSONReader.Mismatch) {
                try reader.readObject { reader, key throws(JSONReader.Mismatch) in
                    if key.equals("metadata"), try reader.peek() == UInt8(ascii: "{") {
                        try reader.readObject { reader, key throws(JSONReader.Mismatch) in
                            let isString = try reader.peek() == UInt8(ascii: "\"")
                            if key.equals("resourceVersion") && isString { page.resourceVersion = try reader.string() }
                            else if key.equals("continue") && isString { page.continueToken = try reader.string() }
                            else { try reader.skipValue(maximumDepth: .max) }
                        }
                    } else if key.equals("items"), try reader.peek() != UInt8(ascii: "n") {
                        guard try reader.peek() == UInt8(ascii: "[") else {
                            itemsIsNotAList = true
                            return try reader.skipValue(maximumDepth: .max)
                        }
                        try reader.readArray { reader throws(JSONReader.Mismatch) in
                            reader.skipWhitespace()
                            let start = reader.position
                            try reader.skipValue(maximumDepth: .max)
                            items.append(start..<reader.position)
                        }
                    } else {
                        try reader.skipValue(maximumDepth: .max)
                    }
                }
                reader.skipWhitespace()
                if !reader.isAtEnd { throw JSONReader.Mismatch(at: reader.position) }
                return nil
            } catch {
                return JSONSyntaxError(error, in: bytes)
            }
        }
        if let syntaxError {
            throw ObjectDecodingIssue(object: list, fieldPath: "", message: "invalid JSON: \(syntaxError)")
        }
        if itemsIsNotAList { throw ObjectDecodingIssue(object: list, fieldPath: "items", message: "expected a list") }
        for (index, range) in items.enumerated() {
            do {
                page.objects.append(try EnvelopeDecoding.decodeObject(kind, data.subdata(in: range)))
            } catch var issue {
                issue.itemIndex = index
                page.issues.append(issue)
            }
        }
        return page
    }
}
