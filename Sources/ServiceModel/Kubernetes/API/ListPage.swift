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
    /// - Throws: when the body is not a JSON object at all; the issue says why.
    public static func decode(_ kind: ObjectKind, fromJSON data: Data) throws(ObjectDecodingIssue) -> ListPage {
        if let page = FastObjectDecoding.decodeListPage(kind, data) { return page }
        return try decodeWithFoundation(kind, data)
    }

    /// The slow path: splits the items with JSONSerialization and decodes each on its own, so that a bad item
    /// is reported precisely and the others still count.
    static func decodeWithFoundation(_ kind: ObjectKind, _ data: Data) throws(ObjectDecodingIssue) -> ListPage {
        let root: [String: Any]
        do {
            guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw ObjectDecodingIssue(object: "\(kind)List", fieldPath: "", message: "expected a JSON object")
            }
            root = object
        } catch let issue as ObjectDecodingIssue {
            throw issue
        } catch {
            throw ObjectDecodingIssue(
                object: "\(kind)List", fieldPath: "",
                message: "invalid JSON: \((error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? "\(error)")")
        }
        var page = ListPage()
        let metadata = root["metadata"] as? [String: Any]
        page.resourceVersion = metadata?["resourceVersion"] as? String
        page.continueToken = metadata?["continue"] as? String
        guard let items = root["items"] else { return page }
        if items is NSNull { return page }
        guard let array = items as? [Any] else {
            throw ObjectDecodingIssue(object: "\(kind)List", fieldPath: "items", message: "expected a list")
        }
        for (index, item) in array.enumerated() {
            do {
                let itemData = try JSONSerialization.data(withJSONObject: item)
                page.objects.append(try ObjectDecoding.decodeObject(kind, fromJSON: itemData))
            } catch var issue as ObjectDecodingIssue {
                issue.itemIndex = index
                page.issues.append(issue)
            } catch {
                page.issues.append(
                    ObjectDecodingIssue(object: "\(kind)", fieldPath: "items[\(index)]", message: "\(error)", itemIndex: index))
            }
        }
        return page
    }
}
