import ServiceModel
/// One collection proxyd lists and watches: where it lives in the API and which objects of it are wanted.
public struct WatchedResource: Sendable, Hashable, CustomStringConvertible {
    public var kind: ObjectKind
    /// The collection's path across all namespaces, e.g. `/api/v1/services`.
    public var path: String
    public var labelSelector: String?
    public var fieldSelector: String?

    public init(kind: ObjectKind, path: String, labelSelector: String? = nil, fieldSelector: String? = nil) {
        self.kind = kind
        self.path = path
        self.labelSelector = labelSelector
        self.fieldSelector = fieldSelector
    }

    public var description: String {
        var text = "\(kind)s"
        if let labelSelector { text += " (labels \(labelSelector))" }
        if let fieldSelector { text += " (fields \(fieldSelector))" }
        return text
    }

    /// kube-proxy's label selector for Services and EndpointSlices: Services another proxy serves
    /// (`service.kubernetes.io/service-proxy-name`) and headless ones are not even sent.
    ///
    /// With a service proxy name of our own, Services labelled with it must come too; label selectors cannot
    /// say "absent or equal to", so then only headless objects are filtered here and the model leaves those of
    /// other proxies alone.
    public static func proxyLabelSelector(serviceProxyName: String?) -> String {
        if let serviceProxyName, !serviceProxyName.isEmpty { return "!\(headlessLabel)" }
        return "!\(serviceProxyNameLabel),!\(headlessLabel)"
    }

    public static let serviceProxyNameLabel = "service.kubernetes.io/service-proxy-name"
    public static let headlessLabel = "service.kubernetes.io/headless"

    /// What a node proxy follows: Services, EndpointSlices and its own Node.
    public static func nodeProxy(nodeName: String, serviceProxyName: String? = nil) -> [WatchedResource] {
        let labels = proxyLabelSelector(serviceProxyName: serviceProxyName)
        return [
            WatchedResource(kind: .service, path: "/api/v1/services", labelSelector: labels),
            WatchedResource(kind: .endpointSlice, path: "/apis/discovery.k8s.io/v1/endpointslices", labelSelector: labels),
            WatchedResource(kind: .node, path: "/api/v1/nodes", fieldSelector: "metadata.name=\(nodeName)"),
        ]
    }
}

