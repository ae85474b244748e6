import ServiceModel

/// One change to IPVS or to proxyd's dummy interface: one netlink request.
///
/// IPVS has no transactions, so a plan is an ordered list of these (`IPVSPlanner`); the driver applies them one by
/// one. `description` is the change as an operator would type it: an `ipvsadm` line (`ipvsadm-restore` syntax) or
/// an `ip addr` command.
public enum IPVSOperation: Sendable, Hashable, CustomStringConvertible {
    /// Assigns a Service address to proxyd's dummy interface, making it local to the node.
    case bindAddress(IPAddress)
    case addVirtualServer(IPVSVirtualServer)
    /// Changes scheduler or persistence in place; real servers and connections stay.
    case updateVirtualServer(IPVSVirtualServer)
    case addRealServer(IPVSVirtualService, IPVSRealServer)
    case updateRealServer(IPVSVirtualService, IPVSRealServer)
    /// Sets a removed TCP real server's weight to 0: no new connections, established ones continue until they end.
    case drainRealServer(IPVSVirtualService, IPVSRealServer)
    case deleteRealServer(IPVSVirtualService, IPVSRealServer.ID)
    /// Deletes a virtual server with all its real servers.
    case deleteVirtualServer(IPVSVirtualService)
    case unbindAddress(IPAddress)

    /// The virtual server the operation changes; nil for address operations.
    public var service: IPVSVirtualService? {
        switch self {
        case .bindAddress, .unbindAddress: nil
        case .addVirtualServer(let server), .updateVirtualServer(let server): server.service
        case .addRealServer(let service, _), .updateRealServer(let service, _), .drainRealServer(let service, _),
            .deleteRealServer(let service, _), .deleteVirtualServer(let service):
            service
        }
    }

    /// Whether it removes something (a delete of what is already gone counts as done).
    public var isRemoval: Bool {
        switch self {
        case .deleteRealServer, .deleteVirtualServer, .unbindAddress: true
        default: false
        }
    }

    /// The netlink request for an IPVS operation; nil for address operations (rtnetlink, see `IPVSDriver`).
    public var request: IPVSRequest? {
        switch self {
        case .bindAddress, .unbindAddress: nil
        case .addVirtualServer(let server): .addVirtualServer(server)
        case .updateVirtualServer(let server): .updateVirtualServer(server)
        case .addRealServer(let service, let realServer): .addRealServer(realServer, to: service)
        case .updateRealServer(let service, let realServer), .drainRealServer(let service, let realServer):
            .updateRealServer(realServer, of: service)
        case .deleteRealServer(let service, let id): .deleteRealServer(id, of: service)
        case .deleteVirtualServer(let service): .deleteVirtualServer(service)
        }
    }

    /// `-A -t 10.96.0.10:80 -s rr -p 10800`, `-a -t 10.96.0.10:80 -r 10.244.0.11:8080 -m -w 1`,
    /// `ip addr add 10.96.0.10/32 dev proxyd-ipvs0`.
    public var description: String {
        switch self {
        case .bindAddress(let address): "ip addr add \(Self.host(address)) dev \(ProxydNames.ipvsInterface)"
        case .unbindAddress(let address): "ip addr del \(Self.host(address)) dev \(ProxydNames.ipvsInterface)"
        case .addVirtualServer(let server): "-A \(Self.service(server.service))\(Self.options(server))"
        case .updateVirtualServer(let server): "-E \(Self.service(server.service))\(Self.options(server))"
        case .deleteVirtualServer(let service): "-D \(Self.service(service))"
        case .addRealServer(let service, let realServer): "-a \(Self.service(service)) \(Self.realServer(realServer))"
        case .updateRealServer(let service, let realServer): "-e \(Self.service(service)) \(Self.realServer(realServer))"
        case .drainRealServer(let service, let realServer): "-e \(Self.service(service)) \(Self.realServer(realServer))"
        case .deleteRealServer(let service, let id): "-d \(Self.service(service)) -r \(id)"
        }
    }

    static func host(_ address: IPAddress) -> String { "\(address)/\(address.family == .ipv4 ? 32 : 128)" }

    static func service(_ service: IPVSVirtualService) -> String {
        if service.firewallMark != 0 { return "-f \(service.firewallMark)" }
        switch service.transportProtocol {
        case .tcp?: return "-t \(service.hostPort)"
        case .udp?: return "-u \(service.hostPort)"
        case .sctp?: return "--sctp-service \(service.hostPort)"
        case nil: return "--protocol \(service.protocolNumber) \(service.hostPort)"
        }
    }

    static func options(_ server: IPVSVirtualServer) -> String {
        var text = " -s \(server.scheduler)"
        let flags = server.flags.configurable
        if flags.contains(.persistent) {
            text += " -p \(server.timeout)"
            if server.netmask != IPVSVirtualServer.fullNetmask(server.service.address?.family ?? .ipv4) {
                text += " -M \(server.netmask)"
            }
        }
        let schedulerFlags = flags.subtracting(.persistent)
        if !schedulerFlags.isEmpty { text += " -b \(schedulerFlags)" }
        return text
    }

    static func realServer(_ realServer: IPVSRealServer) -> String {
        let method: String
        switch realServer.forwarding {
        case .masquerade: method = "-m"
        case .tunnel: method = "-i"
        case .directRoute, .local, .bypass: method = "-g"
        }
        var text = "-r \(realServer.id) \(method) -w \(realServer.weight)"
        if realServer.upperThreshold != 0 { text += " -x \(realServer.upperThreshold)" }
        if realServer.lowerThreshold != 0 { text += " -y \(realServer.lowerThreshold)" }
        return text
    }
}
