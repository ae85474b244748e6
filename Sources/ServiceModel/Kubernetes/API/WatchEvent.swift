import Foundation

/// One line of a watch stream: `{"type":"ADDED","object":{…}}`.
///
/// Bookmarks carry only the resourceVersion to resume from; errors carry an `APIStatus` (410: relist).
public struct WatchEvent: Sendable {
    public enum EventType: String, Sendable, Hashable {
        case added = "ADDED"
        case modified = "MODIFIED"
        case deleted = "DELETED"
        case bookmark = "BOOKMARK"
        case error = "ERROR"
    }

    public var type: EventType
    /// The object of an added, modified or deleted event.
    public var object: KubernetesObject?
    /// `object.metadata.resourceVersion`: where a watch resumes after this event.
    public var resourceVersion: String?
    /// The status of an `ERROR` event.
    public var status: APIStatus?

    public init(type: EventType, object: KubernetesObject? = nil, resourceVersion: String? = nil, status: APIStatus? = nil) {
        self.type = type
        self.object = object
        self.resourceVersion = resourceVersion
        self.status = status
    }

    /// Decodes one event of a watch on `kind` objects.
    ///
    /// - Throws: an issue naming the object and field when the event or its object cannot be read.
    public static func decode(_ kind: ObjectKind, fromJSON line: Data) throws(ObjectDecodingIssue) -> WatchEvent {
        // The fast split gives up on an object nested too deep; the lenient one finds it whole, to name it.
        guard let (typeName, objectData) = FastObjectDecoding.splitWatchEvent(line) ?? EnvelopeDecoding.splitWatchEvent(line) else {
            if let syntax = JSONSyntaxError.find(in: line) {
                throw ObjectDecodingIssue(object: "watch event", fieldPath: "", message: "invalid JSON: \(syntax)")
            }
            throw ObjectDecodingIssue(object: "watch event", fieldPath: "", message: "not an object with type and object: \(preview(line))")
        }
        guard let type = EventType(rawValue: typeName) else {
            throw ObjectDecodingIssue(object: "watch event", fieldPath: "type", message: "unknown type \"\(typeName)\"")
        }
        switch type {
        case .added, .modified, .deleted:
            let object = try EnvelopeDecoding.decodeObject(kind, objectData, locatingIn: line)
            return WatchEvent(type: type, object: object, resourceVersion: object.metadata.resourceVersion)
        case .bookmark:
            return WatchEvent(type: type, resourceVersion: FastObjectDecoding.resourceVersion(ofObject: objectData))
        case .error:
            let status = (try? JSONDecoder().decode(APIStatus.self, from: objectData)) ?? APIStatus(message: preview(objectData))
            return WatchEvent(type: type, status: status)
        }
    }

    private static func preview(_ data: Data) -> String {
        let text = String(decoding: data.prefix(200), as: UTF8.self)
        return data.count > 200 ? text + "…" : text
    }
}
