import Foundation

/// Fast paths for the API server's envelopes: list pages and watch events.
extension FastObjectDecoding {
    /// A typed list page; nil when anything is unexpected (the caller takes the slow path).
    static func decodeListPage(_ kind: ObjectKind, _ data: Data) -> ListPage? {
        guard String(validating: data, as: UTF8.self) != nil else { return nil }
        return data.withUnsafeBytes { raw -> ListPage? in
            var reader = JSONReader(raw.bindMemory(to: UInt8.self))
            var page = ListPage()
            do {
                try reader.readObject { reader, key throws(JSONReader.Mismatch) in
                    if key.equals("metadata") {
                        if try reader.consumeNull() { return }
                        try reader.readObject { reader, key throws(JSONReader.Mismatch) in
                            if key.equals("resourceVersion") { page.resourceVersion = try reader.optionalString() }
                            else if key.equals("continue") { page.continueToken = try reader.optionalString() }
                            else { try reader.skipValue() }
                        }
                    } else if key.equals("items") {
                        if try reader.consumeNull() { return }
                        var index = 0
                        try reader.readArray { reader throws(JSONReader.Mismatch) in
                            let object = try readObject(kind, &reader)
                            if let issue = object.nameIssue(itemIndex: index) {
                                page.issues.append(issue)
                            } else {
                                page.objects.append(object)
                            }
                            index += 1
                        }
                    } else {
                        try reader.skipValue()
                    }
                }
                reader.skipWhitespace()
            } catch {
                return nil
            }
            return reader.isAtEnd ? page : nil
        }
    }

    /// The `type` of a watch event and the bytes of its `object`, without decoding the object.
    static func splitWatchEvent(_ data: Data) -> (String, Data)? {
        data.withUnsafeBytes { raw -> (String, Data)? in
            let bytes = raw.bindMemory(to: UInt8.self)
            var reader = JSONReader(bytes)
            var type: String?
            var range: Range<Int>?
            do {
                try reader.readObject { reader, key throws(JSONReader.Mismatch) in
                    if key.equals("type") {
                        type = try reader.string()
                    } else if key.equals("object") {
                        reader.skipWhitespace()
                        let start = reader.position
                        try reader.skipValue()
                        range = start..<reader.position
                    } else {
                        try reader.skipValue()
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

    /// `metadata.resourceVersion` of an object of any kind (a bookmark's object has little else).
    static func resourceVersion(ofObject data: Data) -> String? {
        data.withUnsafeBytes { raw -> String? in
            var reader = JSONReader(raw.bindMemory(to: UInt8.self))
            var version: String?
            try? reader.readObject { reader, key throws(JSONReader.Mismatch) in
                guard key.equals("metadata") else { return try reader.skipValue() }
                if try reader.consumeNull() { return }
                try reader.readObject { reader, key throws(JSONReader.Mismatch) in
                    if key.equals("resourceVersion") { version = try reader.optionalString() } else { try reader.skipValue() }
                }
            }
            return version
        }
    }
}
