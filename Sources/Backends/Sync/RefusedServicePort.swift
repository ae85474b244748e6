import ServiceModel

/// A Service port whose rules the kernel refused: it is not programmed, and everything else is.
///
/// Renders as `Service shop/web port http (IPv4): the kernel refused its rules: Could not process rule: File
/// exists; not programmed`.
public struct RefusedServicePort: Sendable, Hashable, CustomStringConvertible {
    public var family: IPFamily
    public var name: ServicePortName
    /// The Service port number, named when the port has no name.
    public var port: UInt16
    /// What the kernel (or the tool checking the rules) said.
    public var message: String

    public init(family: IPFamily, name: ServicePortName, port: UInt16, message: String) {
        self.family = family
        self.name = name
        self.port = port
        self.message = message
    }

    public var description: String {
        let portName = name.port.isEmpty ? "\(port)/\(name.protocol)" : name.port
        return "Service \(name.service) port \(portName) (\(family)): the kernel refused its rules: \(message); not programmed"
    }
}
