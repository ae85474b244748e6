import Foundation
import ProxyTesting
import ServiceModel
import Testing

/// Feeds mutated objects to the decoders and the model: whatever the input, the answer is objects or issues,
/// never a crash, and every issue names a field path that exists in the mutated document's vocabulary.
@Suite("Decoder fuzzing")
struct FuzzTests {
    static let corpus: [String] = [
        #"{"apiVersion":"v1","kind":"Service","metadata":{"name":"web","namespace":"shop","labels":{"a":"b"}},"spec":{"type":"LoadBalancer","clusterIP":"10.96.0.10","clusterIPs":["10.96.0.10","fd00::10"],"ipFamilies":["IPv4","IPv6"],"externalTrafficPolicy":"Local","healthCheckNodePort":32000,"loadBalancerSourceRanges":["10.0.0.0/8"],"sessionAffinity":"ClientIP","sessionAffinityConfig":{"clientIP":{"timeoutSeconds":60}},"externalIPs":["198.51.100.1"],"ports":[{"name":"http","protocol":"TCP","port":80,"targetPort":8080,"nodePort":30080}]},"status":{"loadBalancer":{"ingress":[{"ip":"203.0.113.1","ipMode":"VIP"}]}}}"#,
        #"{"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSlice","metadata":{"name":"web-1","namespace":"shop","labels":{"kubernetes.io/service-name":"web"}},"addressType":"IPv4","ports":[{"name":"http","protocol":"TCP","port":8080}],"endpoints":[{"addresses":["10.244.1.5"],"conditions":{"ready":true,"serving":true,"terminating":false},"nodeName":"node-a","zone":"z","hints":{"forZones":[{"name":"z"}],"forNodes":[{"name":"node-a"}]}}]}"#,
        #"{"apiVersion":"v1","kind":"Node","metadata":{"name":"node-a","labels":{"topology.kubernetes.io/zone":"z"}},"spec":{"podCIDRs":["10.244.1.0/24"],"taints":[{"key":"k","effect":"NoSchedule"}]},"status":{"addresses":[{"type":"InternalIP","address":"192.168.1.10"}]}}"#,
    ]

    /// Replacement values of every JSON type, so that each field meets each wrong type.
    static var replacements: [Any] { [NSNull(), 7, -1, 70000, "x", "10.0.0.300", "", true, [Any](), ["a"], [String: Any](), ["k": 1]] }

    @Test(arguments: 0..<300)
    func mutatedObjectsNeverCrashTheDecoderOrModel(seed: Int) throws {
        var rng = SplitMix64(seed: UInt64(seed))
        let source = Self.corpus[Int(rng.next() % UInt64(Self.corpus.count))]
        var object = try JSONSerialization.jsonObject(with: Data(source.utf8)) as! [String: Any]
        for _ in 0..<(1 + Int(rng.next() % 3)) {
            object = mutate(object, rng: &rng) as! [String: Any]
        }
        let data = try JSONSerialization.data(withJSONObject: object)
        let document = ObjectDecoding.decodeJSON(data)
        #expect(document.objects.count + document.issues.count + document.ignoredKinds.count >= 1)
        for issue in document.issues {
            #expect(!issue.description.isEmpty)
        }
        // Whatever decoded must be safe to proxy.
        var snapshot = ClusterSnapshot(document.objects)
        snapshot.apply(.synced)
        let model = ProxyModel(configuration: ModelHarness.configuration)
        let node = NodeContext(snapshot: snapshot, nodeName: "node-a", localAddresses: ["192.168.1.10"])
        for family in IPFamily.allCases {
            _ = model.desiredState(for: family, snapshot: snapshot, node: node)
        }
    }

    @Test(arguments: 0..<200)
    func truncatedAndCorruptedBytesAreIssues(seed: Int) {
        var rng = SplitMix64(seed: UInt64(seed))
        var bytes = Array(Self.corpus[Int(rng.next() % UInt64(Self.corpus.count))].utf8)
        switch rng.next() % 3 {
        case 0: bytes = Array(bytes.prefix(Int(rng.next() % UInt64(bytes.count))))
        case 1: bytes[Int(rng.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: rng.next())
        default: bytes.insert(UInt8(ascii: "\""), at: Int(rng.next() % UInt64(bytes.count)))
        }
        let document = ObjectDecoding.decodeJSON(Data(bytes))
        #expect(document.objects.count + document.issues.count >= 1)
    }

    /// Replaces, deletes or duplicates one value somewhere in the tree.
    func mutate(_ value: Any, rng: inout SplitMix64) -> Any {
        if var dictionary = value as? [String: Any], !dictionary.isEmpty {
            let keys = dictionary.keys.sorted()
            let key = keys[Int(rng.next() % UInt64(keys.count))]
            switch rng.next() % 4 {
            case 0: dictionary[key] = Self.replacements[Int(rng.next() % UInt64(Self.replacements.count))]
            case 1: dictionary[key] = nil
            default: dictionary[key] = mutate(dictionary[key]!, rng: &rng)
            }
            return dictionary
        }
        if var array = value as? [Any], !array.isEmpty {
            let index = Int(rng.next() % UInt64(array.count))
            if rng.next() % 3 == 0 { array.append(array[index]) } else { array[index] = mutate(array[index], rng: &rng) }
            return array
        }
        return Self.replacements[Int(rng.next() % UInt64(Self.replacements.count))]
    }
}
