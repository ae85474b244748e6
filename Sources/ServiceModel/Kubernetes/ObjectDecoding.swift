import Foundation

/// A problem decoding one object: which object (as far as it could be identified) and which field.
///
/// Renders as `Service default/web: spec.ports[0].port: expected a number`, the form operators grep for.
public struct ObjectDecodingIssue: Error, Sendable, Hashable, CustomStringConvertible {
    /// `Service default/web`, or the kind alone, or nil when nothing could be identified.
    public var object: String?
    /// Dotted path with indices, e.g. `spec.ports[0].port`; empty for the object as a whole.
    public var fieldPath: String
    public var message: String
    /// Where the object starts within its document, for error messages that point into files.
    public var itemIndex: Int?

    public init(object: String?, fieldPath: String, message: String, itemIndex: Int? = nil) {
        self.object = object
        self.fieldPath = fieldPath
        self.message = message
        self.itemIndex = itemIndex
    }

    public var description: String {
        [object, fieldPath.isEmpty ? nil : fieldPath, message].compactMap { $0 }.joined(separator: ": ")
    }
}

/// The objects a document held, and the problems with the ones that could not be decoded.
public struct DecodedDocument: Sendable {
    public var objects: [KubernetesObject] = []
    public var issues: [ObjectDecodingIssue] = []
    /// Kinds that were present but are not followed by proxyd (ConfigMaps in a manifest directory, say).
    public var ignoredKinds: [String] = []

    public init() {}

    /// Adds a decoded object, or — when one of its names breaks Kubernetes' rules — the issue naming it: such an
    /// object is skipped, whichever decoder read it.
    mutating func append(_ object: KubernetesObject, itemIndex: Int?) {
        if let issue = object.nameIssue(itemIndex: itemIndex) {
            issues.append(issue)
        } else {
            objects.append(object)
        }
    }
}

/// Decodes Kubernetes objects from any `Decoder` (JSON here, YAML in the Watcher): a single object, a `v1 List`,
/// or a typed list such as `ServiceList` whose items carry no `kind`.
///
/// - Important: One bad item never loses the others: each list item is decoded on its own, and a failure
///   becomes an `ObjectDecodingIssue` naming the item and the field path.
public enum ObjectDecoding {
    /// Decodes the document at the root of `decoder`.
    public static func decodeDocument(from decoder: any Decoder) -> DecodedDocument {
        var document = DecodedDocument()
        let typeMeta: TypeMeta
        do {
            typeMeta = try TypeMeta(from: decoder)
        } catch {
            document.issues.append(issue(for: error, object: nil, prefixLength: 0))
            return document
        }
        guard let kind = typeMeta.kind, !kind.isEmpty else {
            document.issues.append(
                ObjectDecodingIssue(object: nil, fieldPath: "kind", message: "missing: every object needs a kind"))
            return document
        }
        if kind == "List" || kind.hasSuffix("List") {
            let itemKind = kind == "List" ? nil : String(kind.dropLast(4))
            decodeItems(from: decoder, defaultKind: itemKind, into: &document)
        } else {
            decodeObject(from: decoder, kind: kind, apiVersion: typeMeta.apiVersion, index: nil, into: &document)
        }
        return document
    }

    /// Decodes a JSON document (object or list): the fast path, or `Codable` when the document holds
    /// anything the fast path does not expect (then with precise error messages).
    public static func decodeJSON(_ data: Data) -> DecodedDocument {
        if let document = FastObjectDecoding.decodeDocument(data) { return document }
        return decodeJSONWithCodable(data)
    }

    /// The `Codable` path of `decodeJSON` (the reference the fast path must agree with).
    public static func decodeJSONWithCodable(_ data: Data) -> DecodedDocument {
        do {
            let root = try JSONDecoder().decode(KubernetesDocument.self, from: data)
            return root.document
        } catch {
            var document = DecodedDocument()
            document.issues.append(issue(for: error, object: nil, prefixLength: 0))
            return document
        }
    }

    /// Decodes one object of a known kind from JSON, as the API server's watch events carry them.
    ///
    /// - Throws: an issue naming the object and the field, also when a name breaks Kubernetes' rules
    ///   (`KubernetesObject.nameIssue`).
    public static func decodeObject(_ kind: ObjectKind, fromJSON data: Data) throws(ObjectDecodingIssue) -> KubernetesObject {
        let object = try decodeObjectIgnoringNames(kind, fromJSON: data)
        if let issue = object.nameIssue() { throw issue }
        return object
    }

    private static func decodeObjectIgnoringNames(_ kind: ObjectKind, fromJSON data: Data) throws(ObjectDecodingIssue) -> KubernetesObject {
        if let object = FastObjectDecoding.decodeObject(kind, data) { return object }
        do {
            let decoder = JSONDecoder()
            switch kind {
            case .service: return .service(try decoder.decode(Service.self, from: data))
            case .endpointSlice: return .endpointSlice(try decoder.decode(EndpointSlice.self, from: data))
            case .node: return .node(try decoder.decode(Node.self, from: data))
            }
        } catch {
            let identity = try? JSONDecoder().decode(ObjectIdentity.self, from: data)
            throw issue(for: error, object: identity?.describe(defaultKind: kind.rawValue) ?? kind.rawValue, prefixLength: 0)
        }
    }

    private static func decodeItems(from decoder: any Decoder, defaultKind: String?, into document: inout DecodedDocument) {
        let items: any UnkeyedDecodingContainer
        do {
            let container = try decoder.container(keyedBy: ListKeys.self)
            guard container.contains(.items) else { return }
            if try container.decodeNil(forKey: .items) { return }
            items = try container.nestedUnkeyedContainer(forKey: .items)
        } catch {
            document.issues.append(issue(for: error, object: nil, prefixLength: 0))
            return
        }
        var cursor = items
        var index = 0
        while !cursor.isAtEnd {
            defer { index += 1 }
            let itemDecoder: any Decoder
            do {
                itemDecoder = try cursor.superDecoder()
            } catch {
                document.issues.append(issue(for: error, object: nil, prefixLength: 0))
                return
            }
            let meta = (try? TypeMeta(from: itemDecoder)) ?? TypeMeta()
            guard let kind = meta.kind ?? defaultKind else {
                document.issues.append(
                    ObjectDecodingIssue(
                        object: nil, fieldPath: "items[\(index)].kind", message: "missing: a List item needs a kind",
                        itemIndex: index))
                continue
            }
            decodeObject(from: itemDecoder, kind: kind, apiVersion: meta.apiVersion, index: index, into: &document)
        }
    }

    private static func decodeObject(
        from decoder: any Decoder, kind: String, apiVersion: String?, index: Int?, into document: inout DecodedDocument
    ) {
        guard let objectKind = ObjectKind(kind: kind, apiVersion: apiVersion) else {
            if ["Service", "EndpointSlice", "Node"].contains(kind) {
                document.issues.append(
                    ObjectDecodingIssue(
                        object: kind, fieldPath: "apiVersion",
                        message: "\(apiVersion ?? "") is not supported; use v1 (discovery.k8s.io/v1 for EndpointSlice)",
                        itemIndex: index))
            } else {
                document.ignoredKinds.append(kind)
            }
            return
        }
        let prefixLength = decoder.codingPath.count
        do {
            let object: KubernetesObject
            switch objectKind {
            case .service: object = .service(try Service(from: decoder))
            case .endpointSlice: object = .endpointSlice(try EndpointSlice(from: decoder))
            case .node: object = .node(try Node(from: decoder))
            }
            document.append(object, itemIndex: index)
        } catch {
            let identity = try? ObjectIdentity(from: decoder)
            var problem = issue(
                for: error, object: identity?.describe(defaultKind: kind) ?? kind, prefixLength: prefixLength)
            problem.itemIndex = index
            document.issues.append(problem)
        }
    }

    /// Turns a `DecodingError` into an issue whose field path is relative to the object being decoded.
    public static func issue(for error: any Error, object: String?, prefixLength: Int) -> ObjectDecodingIssue {
        guard let decodingError = error as? DecodingError else {
            return ObjectDecodingIssue(object: object, fieldPath: "", message: String(describing: error))
        }
        switch decodingError {
        case .typeMismatch(let type, let context):
            return ObjectDecodingIssue(
                object: object, fieldPath: fieldPath(context.codingPath.dropFirst(prefixLength)),
                message: "expected \(typeName(type))")
        case .valueNotFound(let type, let context):
            return ObjectDecodingIssue(
                object: object, fieldPath: fieldPath(context.codingPath.dropFirst(prefixLength)),
                message: "expected \(typeName(type)), found null")
        case .keyNotFound(let key, let context):
            let path = fieldPath(context.codingPath.dropFirst(prefixLength) + [key])
            return ObjectDecodingIssue(object: object, fieldPath: path, message: "missing required field")
        case .dataCorrupted(let context):
            let underlying = (context.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String
            return ObjectDecodingIssue(
                object: object, fieldPath: fieldPath(context.codingPath.dropFirst(prefixLength)),
                message: underlying ?? context.debugDescription)
        @unknown default:
            return ObjectDecodingIssue(object: object, fieldPath: "", message: String(describing: error))
        }
    }

    /// `spec.ports[0].port` from a coding path.
    public static func fieldPath(_ path: some Collection<any CodingKey>) -> String {
        var result = ""
        for key in path {
            if let index = key.intValue, key.stringValue.hasPrefix("Index ") || key.stringValue == String(index) {
                result += "[\(index)]"
            } else {
                if !result.isEmpty { result += "." }
                result += key.stringValue
            }
        }
        return result
    }

    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is Int.Type, is Int32.Type, is Int64.Type, is UInt16.Type: "an integer"
        case is String.Type: "a string"
        case is Bool.Type: "a boolean (true or false)"
        case is IntOrString.Type: "an integer or a string"
        case is [Any].Type: "a list"
        default:
            String(describing: type).contains("Array") ? "a list" : "an object"
        }
    }
}

/// `apiVersion` and `kind`, decoded leniently.
struct TypeMeta: Decodable {
    var apiVersion: String?
    var kind: String?

    init() {}

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        apiVersion = try? container.decodeIfPresent(String.self, forKey: .apiVersion)
        kind = try? container.decodeIfPresent(String.self, forKey: .kind)
    }

    enum CodingKeys: String, CodingKey { case apiVersion, kind }
}

private enum ListKeys: String, CodingKey { case items }

/// Whatever names an object, decoded leniently so that a broken object can still be named in an error.
struct ObjectIdentity: Decodable {
    var kind: String?
    var name: String?
    var namespace: String?

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        kind = try? container.decodeIfPresent(String.self, forKey: .kind)
        if let metadata = try? container.nestedContainer(keyedBy: MetadataKeys.self, forKey: .metadata) {
            name = try? metadata.decodeIfPresent(String.self, forKey: .name)
            namespace = try? metadata.decodeIfPresent(String.self, forKey: .namespace)
        }
    }

    func describe(defaultKind: String) -> String {
        let kindName = kind ?? defaultKind
        guard let name else { return kindName }
        if kindName == "Node" { return "Node \(name)" }
        return "\(kindName) \(namespace ?? "default")/\(name)"
    }

    enum CodingKeys: String, CodingKey { case kind, metadata }
    enum MetadataKeys: String, CodingKey { case name, namespace }
}

/// A whole document as a `Decodable`, so that any decoder (JSON, YAML) can hand over its root.
public struct KubernetesDocument: Decodable, Sendable {
    public var document: DecodedDocument

    public init(from decoder: any Decoder) throws {
        document = ObjectDecoding.decodeDocument(from: decoder)
    }
}
