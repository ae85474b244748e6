/// Names one port of one Service: `namespace/name:port-name/protocol` (upstream's `ServicePortName`).
///
/// The port name is empty for a Service's single unnamed port.
public struct ServicePortName: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var service: ObjectKey
    public var port: String
    public var `protocol`: TransportProtocol

    public init(service: ObjectKey, port: String, protocol: TransportProtocol) {
        self.service = service
        self.port = port
        self.protocol = `protocol`
    }

    /// `ns/svc:port` as in kube-proxy's rule comments (`ns/svc` when the port has no name).
    public var description: String { port.isEmpty ? service.description : "\(service):\(port)" }

    public static func < (lhs: ServicePortName, rhs: ServicePortName) -> Bool {
        (lhs.service, lhs.port, lhs.protocol) < (rhs.service, rhs.port, rhs.protocol)
    }
}
