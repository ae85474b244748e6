import Foundation
@testable import ServiceModel
import Testing

/// Names break out of nothing: an object whose name, namespace or port name breaks Kubernetes' rules is skipped
/// at decode time with an issue naming it and the field, by both decoders alike, and the other objects count.
@Suite("Names are validated at decode time")
struct NameValidationTests {
    static let injection = "web\" : accept }\ndelete table inet filter\n#"

    @Test(arguments: [
        ("a", true), ("web-1", true), ("0web", true), (String(repeating: "a", count: 63), true),
        ("", false), ("-web", false), ("web-", false), ("Web", false), ("web.1", false), ("we b", false),
        (String(repeating: "a", count: 64), false), (injection, false), ("wéb", false),
    ])
    func dns1123Labels(name: String, valid: Bool) {
        #expect(KubernetesName.isDNS1123Label(name) == valid)
    }

    @Test(arguments: [
        ("node-a", true), ("node-a.example.com", true), ("10.0.0.300", true), (String(repeating: "a", count: 253), true),
        ("", false), ("a..b", false), (".a", false), ("a.", false), ("a.-b", false), ("Node", false),
        (String(repeating: "a", count: 254), false), ("node_a", false),
    ])
    func dns1123Subdomains(name: String, valid: Bool) {
        #expect(KubernetesName.isDNS1123Subdomain(name) == valid)
    }

    /// Both decoders, as `FastDecodingTests` compares them.
    func decodeBoth(_ json: String) -> (DecodedDocument, DecodedDocument) {
        (ObjectDecoding.decodeJSON(Data(json.utf8)), ObjectDecoding.decodeJSONWithCodable(Data(json.utf8)))
    }

    static func jsonString(_ text: String) -> String {
        String(decoding: try! JSONEncoder().encode(text), as: UTF8.self)
    }

    @Test func aServiceNamedToInjectNftCommandsIsSkippedWithAnIssueAndTheRestDecodes() {
        let json = """
            {"apiVersion":"v1","kind":"List","items":[
              {"apiVersion":"v1","kind":"Service","metadata":{"name":"good","namespace":"shop"},"spec":{"clusterIP":"10.96.0.1"}},
              {"apiVersion":"v1","kind":"Service","metadata":{"name":\(Self.jsonString(Self.injection)),"namespace":"shop"},"spec":{"clusterIP":"10.96.0.2"}}
            ]}
            """
        let (fast, codable) = decodeBoth(json)
        for document in [fast, codable] {
            #expect(document.objects.map(\.reference.description) == ["Service shop/good"])
            #expect(document.issues.map(\.description) == [
                #"Service shop/"web\" : accept }\ndelete table inet filter\n#": metadata.name: "web\" : accept }\ndelete table inet filter\n#" is not a DNS-1123 label (at most 63 characters of a-z, 0-9 and '-', starting and ending with a letter or digit)"#
            ])
            #expect(document.issues.first?.itemIndex == 1)
        }
        #expect(fast.issues == codable.issues)
    }

    @Test(arguments: [
        // (object JSON, field the issue names)
        (#"{"kind":"Service","metadata":{"name":"web","namespace":"Shop"},"spec":{}}"#, "metadata.namespace"),
        (#"{"kind":"Service","metadata":{"name":"web.shop"},"spec":{}}"#, "metadata.name"),
        (#"{"kind":"Service","metadata":{"name":"web"},"spec":{"ports":[{"name":"http","port":80},{"name":"h\"ttp","port":81}]}}"#, "spec.ports[1].name"),
        (#"{"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1","metadata":{"name":"web_1"},"addressType":"IPv4"}"#, "metadata.name"),
        (#"{"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1","metadata":{"name":"web-1"},"addressType":"IPv4","ports":[{"name":"HTTP","port":80}]}"#, "ports[0].name"),
        (#"{"kind":"Node","metadata":{"name":"node a"}}"#, "metadata.name"),
    ])
    func everyNameProxydUsesIsChecked(json: String, field: String) {
        let (fast, codable) = decodeBoth(json)
        #expect(fast.objects.isEmpty)
        #expect(fast.issues.map(\.fieldPath) == [field])
        #expect(fast.issues == codable.issues)
    }

    @Test func emptyPortNamesAndValidNamesDecode() {
        let json = #"{"kind":"Service","metadata":{"name":"web","namespace":"shop"},"spec":{"ports":[{"port":80}]}}"#
        let (fast, codable) = decodeBoth(json)
        #expect(fast.issues.isEmpty && codable.issues.isEmpty)
        #expect(fast.objects.count == 1)
    }

    @Test func watchEventsAndListPagesSkipObjectsWithBadNames() throws {
        let bad = #"{"metadata":{"name":"a\"b","namespace":"shop","resourceVersion":"7"},"spec":{}}"#
        #expect(throws: ObjectDecodingIssue.self) {
            try WatchEvent.decode(.service, fromJSON: Data(#"{"type":"ADDED","object":\#(bad)}"#.utf8))
        }
        let page = try ListPage.decode(
            .service, fromJSON: Data(#"{"metadata":{"resourceVersion":"9"},"items":[{"metadata":{"name":"ok"},"spec":{}},\#(bad)]}"#.utf8))
        #expect(page.objects.map(\.reference.description) == ["Service default/ok"])
        #expect(page.issues.map(\.fieldPath) == ["metadata.name"])
        #expect(page.issues.first?.itemIndex == 1)
        let slow = try ListPage.decodeItemByItem(
            .service, Data(#"{"metadata":{"resourceVersion":"9"},"items":[{"metadata":{"name":"ok"},"spec":{}},\#(bad)]}"#.utf8))
        #expect(slow.issues == page.issues)
    }

    @Test func messagesShowHostileTextEscapedAndShort() {
        #expect(KubernetesName.quotedForDisplay("a\"b\\c\nd\u{0}e\u{2028}") == #""a\"b\\c\nd\u{0}e\u{2028}""#)
        #expect(KubernetesName.quotedForDisplay(String(repeating: "x", count: 500)) == "\"" + String(repeating: "x", count: 80) + "…\"")
    }
}
