import Foundation
import ServiceModel
import Testing

@Suite("Decoding Kubernetes objects")
struct DecodingTests {
    func decode(_ json: String) -> DecodedDocument {
        ObjectDecoding.decodeJSON(Data(json.utf8))
    }

    @Test func serviceDecodesAndIgnoresUnknownFields() throws {
        let document = decode("""
            {"apiVersion":"v1","kind":"Service","metadata":{"name":"web","namespace":"shop","managedFields":[{"x":1}]},
             "spec":{"clusterIP":"10.96.0.10","futureField":{"a":[1,2]},"ports":[{"port":80,"targetPort":"http","protocol":"TCP"}]}}
            """)
        #expect(document.issues.isEmpty)
        guard case .service(let service) = try #require(document.objects.first) else { Issue.record("not a Service"); return }
        #expect(service.metadata.namespacedKey == ObjectKey(namespace: "shop", name: "web"))
        #expect(service.spec.ports?.first?.targetPort == .string("http"))
    }

    @Test func wrongTypeNamesTheObjectAndFieldPath() {
        let document = decode("""
            {"apiVersion":"v1","kind":"Service","metadata":{"name":"web","namespace":"shop"},"spec":{"ports":[{"port":80},{"port":"eighty"}]}}
            """)
        #expect(document.objects.isEmpty)
        #expect(document.issues.map(\.description) == ["Service shop/web: spec.ports[1].port: expected an integer"])
    }

    @Test func missingRequiredFieldIsNamed() {
        let document = decode(#"{"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSlice","metadata":{"name":"s"},"endpoints":[]}"#)
        #expect(document.issues.map(\.description) == ["EndpointSlice default/s: addressType: missing required field"])
    }

    @Test func listDecodesEveryKindAndSkipsOnlyTheBadItem() {
        let document = decode("""
            {"apiVersion":"v1","kind":"List","items":[
              {"apiVersion":"v1","kind":"Service","metadata":{"name":"a"},"spec":{"clusterIP":"10.96.0.1"}},
              {"apiVersion":"v1","kind":"Service","metadata":{"name":"b"},"spec":{"clusterIP":7}},
              {"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSlice","metadata":{"name":"a-1"},"addressType":"IPv4"},
              {"apiVersion":"v1","kind":"Node","metadata":{"name":"n1"}},
              {"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"}}
            ]}
            """)
        #expect(document.objects.map(\.reference.description) == ["Service default/a", "EndpointSlice default/a-1", "Node n1"])
        #expect(document.issues.map(\.description) == ["Service default/b: spec.clusterIP: expected a string"])
        #expect(document.issues.first?.itemIndex == 1)
        #expect(document.ignoredKinds == ["ConfigMap"])
    }

    @Test func typedListItemsNeedNoKind() {
        let document = decode(#"{"apiVersion":"v1","kind":"ServiceList","metadata":{"resourceVersion":"5"},"items":[{"metadata":{"name":"a"},"spec":{}}]}"#)
        #expect(document.objects.map(\.reference.description) == ["Service default/a"])
    }

    @Test func unsupportedAPIVersionIsAnIssue() {
        let document = decode(#"{"apiVersion":"discovery.k8s.io/v1beta1","kind":"EndpointSlice","metadata":{"name":"s"},"addressType":"IPv4"}"#)
        #expect(document.objects.isEmpty)
        #expect(document.issues.first?.fieldPath == "apiVersion")
    }

    @Test func missingKindIsAnIssue() {
        #expect(decode(#"{"metadata":{"name":"x"}}"#).issues.map(\.description) == ["kind: missing: every object needs a kind"])
    }

    @Test func syntaxErrorIsAnIssueNotACrash() {
        let document = decode(#"{"apiVersion":"v1","kind":"Service","#)
        #expect(document.objects.isEmpty)
        #expect(document.issues.count == 1)
    }

    @Test func singleObjectOfKnownKindDecodesFromJSON() throws {
        let object = try ObjectDecoding.decodeObject(.node, fromJSON: Data(#"{"metadata":{"name":"n1"},"status":{"addresses":[{"type":"InternalIP","address":"10.0.0.1"}]}}"#.utf8))
        #expect(object.reference.description == "Node n1")
        #expect(throws: ObjectDecodingIssue.self) {
            try ObjectDecoding.decodeObject(.node, fromJSON: Data(#"{"metadata":{"name":"n1"},"status":{"addresses":"x"}}"#.utf8))
        }
    }

    @Test func objectsRoundTripThroughJSON() throws {
        let service = Service(
            metadata: ObjectMeta(name: "web", namespace: "shop", labels: ["app": "web"]),
            spec: { var spec = Service.Spec(); spec.clusterIP = "10.96.0.10"; spec.ports = [Service.Port(name: "http", port: 80, targetPort: .int(8080))]; return spec }())
        let data = try JSONEncoder().encode(service)
        let decoded = try ObjectDecoding.decodeObject(.service, fromJSON: data)
        #expect(decoded == .service(service))
    }
}
