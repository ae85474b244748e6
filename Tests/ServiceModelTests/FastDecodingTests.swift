import Foundation
import ProxyTesting
@testable import ServiceModel
import Testing

/// The fast JSON path must decode exactly what the Codable path decodes, and give way to it otherwise.
@Suite("Fast JSON decoding")
struct FastDecodingTests {
    func agree(_ data: Data) -> Bool {
        let fast = ObjectDecoding.decodeJSON(data)
        let reference = ObjectDecoding.decodeJSONWithCodable(data)
        return fast.objects == reference.objects && fast.issues == reference.issues && fast.ignoredKinds == reference.ignoredKinds
    }

    @Test func validDocumentsTakeTheFastPath() throws {
        for source in FuzzTests.corpus {
            #expect(FastObjectDecoding.decodeDocument(Data(source.utf8)) != nil, "\(source.prefix(60))")
        }
        let list = #"{"kind":"List","apiVersion":"v1","items":["# + FuzzTests.corpus.joined(separator: ",") + #",{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"c"}}]}"#
        let document = try #require(FastObjectDecoding.decodeDocument(Data(list.utf8)))
        #expect(document.objects.count == 3)
        #expect(document.ignoredKinds == ["ConfigMap"])
        #expect(agree(Data(list.utf8)))
    }

    @Test func typedListsEscapesAndKeyOrderAgree() {
        let texts = [
            #"{"items":[{"metadata":{"name":"a\u00e9\"b","labels":{"k\/x":"v\n"}},"spec":{"ports":[{"port":80,"targetPort":"h\u0074tp"}]}}],"kind":"ServiceList","apiVersion":"v1"}"#,
            #"{"metadata":{"name":"s"},"addressType":"IPv6","endpoints":[{"addresses":["fd00::1"],"conditions":{"ready":null,"serving":false},"hints":{"forZones":[{"name":"z"}]}}],"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1"}"#,
            #"{"kind":"Node","metadata":{"name":"n","deletionTimestamp":"2026-01-01T00:00:00Z"},"spec":{"taints":[{"key":"ToBeDeletedByClusterAutoscaler","effect":"NoSchedule"}]},"status":null}"#,
            #"{"kind":"Service","metadata":{"name":"s"},"spec":null,"status":{"loadBalancer":{"ingress":[{"ip":"1.2.3.4","ipMode":"Proxy"}]}}}"#,
        ]
        for text in texts {
            #expect(FastObjectDecoding.decodeDocument(Data(text.utf8)) != nil, "\(text)")
            #expect(agree(Data(text.utf8)), "\(text)")
        }
    }

    @Test(arguments: 0..<400)
    func mutatedDocumentsAgreeWithCodable(seed: Int) throws {
        var rng = SplitMix64(seed: UInt64(seed) &+ 10_000)
        let source = FuzzTests.corpus[Int(rng.next() % UInt64(FuzzTests.corpus.count))]
        var object = try JSONSerialization.jsonObject(with: Data(source.utf8)) as! [String: Any]
        for _ in 0..<(1 + Int(rng.next() % 3)) {
            object = FuzzTests().mutate(object, rng: &rng) as! [String: Any]
        }
        let data = try JSONSerialization.data(withJSONObject: object)
        #expect(agree(data), "\(String(decoding: data, as: UTF8.self))")
    }

    @Test(arguments: 0..<200)
    func corruptedBytesAgreeWithCodable(seed: Int) {
        var rng = SplitMix64(seed: UInt64(seed) &+ 20_000)
        var bytes = Array(FuzzTests.corpus[Int(rng.next() % UInt64(FuzzTests.corpus.count))].utf8)
        switch rng.next() % 3 {
        case 0: bytes = Array(bytes.prefix(Int(rng.next() % UInt64(bytes.count))))
        case 1: bytes[Int(rng.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: rng.next())
        default: bytes.insert(UInt8(ascii: "\""), at: Int(rng.next() % UInt64(bytes.count)))
        }
        if !agree(Data(bytes)) {
            let fast = ObjectDecoding.decodeJSON(Data(bytes))
            let reference = ObjectDecoding.decodeJSONWithCodable(Data(bytes))
            Issue.record("fast \(fast.objects.count) \(fast.issues) vs codable \(reference.objects.count) \(reference.issues): \(String(decoding: bytes, as: UTF8.self))")
        }
    }
}
