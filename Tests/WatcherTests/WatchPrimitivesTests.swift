import Foundation
import ProxyTesting
import ServiceModel
import Testing
@testable import Watcher

/// The pure pieces of the watcher: framing, rate limit, backoff, decoding the API's envelopes, relist diffs.
@Suite("Watch building blocks")
struct WatchPrimitivesTests {
    @Test(arguments: [1, 2, 3, 7, 64])
    func framerReassemblesLinesSplitAnywhere(seed: UInt64) throws {
        var random = SplitMix64(seed: seed)
        let lines = (0..<50).map { index in
            "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"svc-\(index)\"},\"pad\":\"\(String(repeating: "x", count: Int(random.next() % 300)))\"}}"
        }
        let stream = Data((lines.joined(separator: "\n") + "\n").utf8)
        var framer = LineFramer()
        var framed: [String] = []
        var offset = 0
        while offset < stream.count {
            let size = Int(1 + random.next() % 97)
            let chunk = stream[offset..<min(stream.count, offset + size)]
            framed += try framer.append(Data(chunk)).map { String(decoding: $0, as: UTF8.self) }
            offset += size
        }
        #expect(framed == lines)
        #expect(framer.pendingByteCount == 0)
    }

    @Test func framerKeepsAnUnfinishedLineAndToleratesCRLF() throws {
        var framer = LineFramer()
        #expect(try framer.append(Data("{\"a\":1}\r\n\n{\"b\"".utf8)).map { String(decoding: $0, as: UTF8.self) } == ["{\"a\":1}"])
        #expect(framer.pendingByteCount == 4)
        #expect(try framer.append(Data(":2}\n".utf8)).map { String(decoding: $0, as: UTF8.self) } == ["{\"b\":2}"])
    }

    @Test func framerRefusesAnEndlessLine() {
        var framer = LineFramer(maximumLineLength: 10)
        #expect(throws: APIServerError.self) { _ = try framer.append(Data(String(repeating: "x", count: 11).utf8)) }
    }

    @Test func tokenBucketAllowsTheBurstThenQPS() {
        var bucket = TokenBucket(qps: 5, burst: 3)
        let start = ContinuousClock.now
        let waits = (0..<5).map { _ in bucket.reserve(at: start) }
        #expect(waits == [.zero, .zero, .zero, .milliseconds(200), .milliseconds(400)])
        // A second later five more tokens have accrued, of which two pay back the debt.
        #expect(bucket.reserve(at: start + .seconds(1)) == .zero)
        var unlimited = TokenBucket(qps: 0, burst: 1)
        #expect((0..<100).allSatisfy { _ in unlimited.reserve(at: start) == .zero })
    }

    @Test func backoffDoublesWithJitterUpToTheCap() {
        var backoff = Backoff(initial: .milliseconds(100), maximum: .seconds(1), jitter: 0.5)
        var random = SplitMix64(seed: 9)
        let delays = (0..<8).map { _ in backoff.next(using: &random) }
        let bases: [Duration] = [.milliseconds(100), .milliseconds(200), .milliseconds(400), .milliseconds(800), .seconds(1), .seconds(1), .seconds(1), .seconds(1)]
        for (delay, base) in zip(delays, bases) {
            #expect(delay >= base && delay <= min(base * 1.5, .seconds(1)), "\(delay) for base \(base)")
        }
        backoff.reset()
        #expect(backoff.next(using: &random) < .milliseconds(151))
    }

    @Test func listPageDecodesItemsVersionAndContinueToken() throws {
        let body = Data("""
            {"kind":"ServiceList","apiVersion":"v1","metadata":{"resourceVersion":"42","continue":"abc"},
             "items":[{"metadata":{"name":"web","namespace":"shop","resourceVersion":"40"},"spec":{"clusterIP":"10.96.0.10","ports":[{"port":80}]}}]}
            """.utf8)
        let page = try ListPage.decode(.service, fromJSON: body)
        #expect(page.resourceVersion == "42")
        #expect(page.continueToken == "abc")
        #expect(page.objects.map(\.reference.description) == ["Service shop/web"])
    }

    @Test func listPageNamesABadItemAndKeepsTheOthers() throws {
        let body = Data("""
            {"metadata":{"resourceVersion":"7"},"items":[
              {"metadata":{"name":"bad","namespace":"shop"},"spec":{"ports":[{"port":"eighty"}]}},
              {"metadata":{"name":"good","namespace":"shop"},"spec":{"ports":[{"port":80}]}}]}
            """.utf8)
        let page = try ListPage.decode(.service, fromJSON: body)
        #expect(page.resourceVersion == "7")
        #expect(page.objects.map(\.metadata.name) == ["good"])
        #expect(page.issues.map(\.description) == ["Service shop/bad: spec.ports[0].port: expected an integer"])
        #expect(throws: ObjectDecodingIssue.self) { try ListPage.decode(.service, fromJSON: Data("<html>".utf8)) }
    }

    @Test func watchEventsOfEveryType() throws {
        let added = try WatchEvent.decode(.endpointSlice, fromJSON: Data("""
            {"type":"ADDED","object":{"metadata":{"name":"web-1","namespace":"shop","resourceVersion":"12","labels":{"kubernetes.io/service-name":"web"}},"addressType":"IPv4","endpoints":[{"addresses":["10.244.0.5"]}]}}
            """.utf8))
        #expect(added.type == .added)
        #expect(added.resourceVersion == "12")
        #expect(added.object?.reference.description == "EndpointSlice shop/web-1")
        let bookmark = try WatchEvent.decode(.service, fromJSON: Data(#"{"type":"BOOKMARK","object":{"kind":"Service","metadata":{"resourceVersion":"99"}}}"#.utf8))
        #expect(bookmark.type == .bookmark && bookmark.resourceVersion == "99" && bookmark.object == nil)
        let gone = try WatchEvent.decode(.service, fromJSON: Data(#"{"type":"ERROR","object":{"kind":"Status","status":"Failure","message":"too old resource version: 5 (90)","reason":"Expired","code":410}}"#.utf8))
        #expect(gone.type == .error && gone.status?.isGone == true)
        #expect(throws: ObjectDecodingIssue.self) { try WatchEvent.decode(.service, fromJSON: Data(#"{"type":"ADDED","object":{"metadata":{"name":"x"},"spec":{"ports":[{"port":-}]}}}"#.utf8)) }
        #expect(throws: ObjectDecodingIssue.self) { try WatchEvent.decode(.service, fromJSON: Data(#"{"type":"RENAMED","object":{}}"#.utf8)) }
    }

    @Test func relistDiffTurnsVanishedObjectsIntoDeletions() {
        let a = KubernetesObject.service(Fixtures.service("default/a"))
        let b = KubernetesObject.service(Fixtures.service("default/b"))
        let b2 = KubernetesObject.service(Fixtures.service("default/b", ports: [.tcp(81)]))
        let c = KubernetesObject.service(Fixtures.service("default/c"))
        let events = ListWatcher.events(from: [a.key: a, b.key: b], to: [b2.key: b2, c.key: c])
        #expect(Set(events) == [.deleted(a), .modified(b2), .added(c)])
        #expect(ListWatcher.events(from: [a.key: a], to: [a.key: a]).isEmpty)
    }

    @Test func proxyLabelSelectorIsKubeProxys() {
        #expect(WatchedResource.proxyLabelSelector(serviceProxyName: nil) == "!service.kubernetes.io/service-proxy-name,!service.kubernetes.io/headless")
        #expect(WatchedResource.proxyLabelSelector(serviceProxyName: "mine") == "!service.kubernetes.io/headless")
        #expect(WatchedResource.nodeProxy(nodeName: "node-a").map(\.fieldSelector) == [nil, nil, "metadata.name=node-a"])
    }
}
