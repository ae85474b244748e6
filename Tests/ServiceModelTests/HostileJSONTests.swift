import Foundation
import ProxyTesting
@testable import ServiceModel
import Testing

/// JSON no API server or honest file sends: nesting deep enough to exhaust a recursive reader's stack, and
/// syntax errors, which must be located by line and column.
@Suite("Hostile JSON")
struct HostileJSONTests {
    /// `{"kind":"Service","metadata":{…},"x":[[[…]]]}`: the root object plus `arrays` levels of nesting.
    static func deepService(arrays: Int) -> String {
        servicePrefix + String(repeating: "[", count: arrays) + String(repeating: "]", count: arrays) + "}"
    }

    static let servicePrefix = #"{"kind":"Service","apiVersion":"v1","metadata":{"name":"evil","namespace":"default"},"x":"#

    /// Foundation accepts 512 levels and refuses 513; the fast path must agree, at every depth, and never crash.
    @Test(arguments: [510, 511, 512, 50_000])
    func nestingIsBoundedAsFoundationBoundsIt(arrays: Int) {
        let data = Data(Self.deepService(arrays: arrays).utf8)
        let fast = ObjectDecoding.decodeJSON(data)
        let reference = ObjectDecoding.decodeJSONWithCodable(data)
        let accepted = 1 + arrays <= 512
        #expect(fast.objects.count == (accepted ? 1 : 0))
        #expect(reference.objects.count == (accepted ? 1 : 0))
        #expect(fast.issues == reference.issues)
        #expect((FastObjectDecoding.decodeDocument(data) != nil) == accepted)
    }

    @Test func aDeepItemInAListPageIsNamedAndTheOthersStillCount() throws {
        let body = Data((#"{"kind":"ServiceList","metadata":{"resourceVersion":"9"},"items":["#
            + #"{"metadata":{"name":"before","namespace":"default"},"spec":{"ports":[{"port":80}]}},"#
            + Self.deepService(arrays: 50_000) + ","
            + #"{"metadata":{"name":"after","namespace":"default"},"spec":{"ports":[{"port":81}]}}]}"#).utf8)
        let page = try ListPage.decode(.service, fromJSON: body)
        #expect(page.resourceVersion == "9")
        #expect(page.objects.map(\.metadata.name) == ["before", "after"])
        #expect(page.issues.count == 1)
        let issue = try #require(page.issues.first)
        #expect(issue.itemIndex == 1)
        #expect(issue.object == "Service default/evil")
        // The Service's root is the first level, so its 512th array is the 513th: located within the item.
        #expect(issue.message == "invalid JSON: line 1, column \(Self.servicePrefix.utf8.count + 512): objects and arrays nested more than 512 deep", "\(issue)")
    }

    @Test func aDeepObjectInAWatchEventIsNamedWithItsColumn() throws {
        let line = Data((#"{"type":"MODIFIED","object":"# + Self.deepService(arrays: 50_000) + "}").utf8)
        do {
            _ = try WatchEvent.decode(.service, fromJSON: line)
            Issue.record("a watch event nested 50,000 deep was accepted")
        } catch {
            // The event's own object is one level, the Service's root a second, so the 511th array is the 513th level.
            let column = #"{"type":"MODIFIED","object":"#.utf8.count + Self.servicePrefix.utf8.count + 511
            #expect(error.description == "Service default/evil: invalid JSON: line 1, column \(column): objects and arrays nested more than 512 deep")
        }
    }

    @Test func aBrokenWatchEnvelopeSaysWhere() {
        #expect(throws: ObjectDecodingIssue(object: "watch event", fieldPath: "", message: "invalid JSON: line 1, column 28: unexpected character 'x'")) {
            try WatchEvent.decode(.service, fromJSON: Data(#"{"type":"ADDED","object":{}x"#.utf8))
        }
    }

    @Test(arguments: [
        ("{\n  \"kind\": \"Service\",\n  \"metadata\": {\"name\": x}\n}", 3, 24, "unexpected character 'x'"),
        ("{\"a\": [1, 2,]}", 1, 13, "unexpected character ']'"),
        ("{\"a\":\n\"tab\there\"}", 2, 5, "unexpected control character U+0009"),
        ("{\"é\": \"\\q\"}", 1, 8, "unexpected character '\\'"),
        ("{\"a\": 1", 1, 8, "unexpected end of input"),
        ("{\"a\": 01}", 1, 8, "unexpected character '1'"),
        ("{} {}", 1, 4, "unexpected data after the JSON value"),
    ])
    func syntaxErrorsAreLocatedByLineAndColumn(text: String, line: Int, column: Int, message: String) throws {
        let error = try #require(JSONSyntaxError.find(in: Data(text.utf8)))
        #expect(error == JSONSyntaxError(line: line, column: column, message: message))
    }

    @Test func validJSONHasNoSyntaxError() {
        for text in [#"{"a":[1,-2.5e3,true,false,null,"\u00e9\n",{}],"b":{}}"#, "[]", " 0 ", #""x""#] {
            #expect(JSONSyntaxError.find(in: Data(text.utf8)) == nil, "\(text)")
        }
    }

    @Test func aListThatIsNotJSONSaysWhere() {
        #expect(throws: ObjectDecodingIssue(object: "ServiceList", fieldPath: "", message: "invalid JSON: line 2, column 1: unexpected character '<'")) {
            try ListPage.decode(.service, fromJSON: Data("{\"items\": [\n<html>".utf8))
        }
    }
}
