extension ProxyModel {
    /// The proxied ports of one Service in one family, and warnings about what had to be skipped.
    ///
    /// Returns no ports for Services that are not proxied at all (headless, ExternalName, another proxy's,
    /// no ClusterIP of this family) or that are too broken to proxy safely.
    public func servicePorts(
        _ key: ObjectKey, family: IPFamily, snapshot: ClusterSnapshot, node: NodeContext,
        settings: DesiredState.NodeSettings
    ) -> ([ServicePort], [ModelWarning]) {
        guard let service = snapshot.services[key] else { return ([], []) }
        var warnings = WarningList()
        let reference = ObjectReference(kind: .service, key: key)
        guard isProxied(service), let clusterIP = clusterIP(of: service, family: family, reference, &warnings) else {
            return ([], warnings.items)
        }
        let spec = service.spec
        let type = serviceType(spec, reference, &warnings)
        let externallyAccessible = type == "NodePort" || type == "LoadBalancer" || !(spec.externalIPs ?? []).isEmpty

        let externalIPs = addresses(spec.externalIPs ?? [], family: family, field: "spec.externalIPs", reference, &warnings)
        let loadBalancerIPs = loadBalancerIPs(service, family: family, reference, &warnings)
        let sourceRanges = sourceRanges(spec.loadBalancerSourceRanges ?? [], family: family, reference, &warnings)
        let affinity = sessionAffinity(spec, reference, &warnings)
        let internalPolicy: TrafficPolicy = spec.internalTrafficPolicy == "Local" ? .local : .cluster
        var externalPolicy: TrafficPolicy = .cluster
        switch spec.externalTrafficPolicy {
        case nil, "Cluster": break
        case "Local": externalPolicy = externallyAccessible ? .local : .cluster
        case let other?:
            warnings.add(reference, field: "spec.externalTrafficPolicy", "\"\(other)\" is not Cluster or Local; using Cluster")
        }
        var healthCheckNodePort: UInt16?
        if type == "LoadBalancer", externalPolicy == .local {
            healthCheckNodePort = port(spec.healthCheckNodePort, field: "spec.healthCheckNodePort", reference, &warnings)
            if healthCheckNodePort == nil {
                warnings.add(reference, field: "spec.healthCheckNodePort", "missing for an externalTrafficPolicy=Local LoadBalancer")
            }
        }
        let includesNode = sourceRanges.map { ranges in settings.nodeIPs.contains { ip in ranges.contains { $0.contains(ip) } } } ?? false

        var ports: [ServicePort] = []
        var seen = Set<ServicePortName>()
        for (index, specPort) in (spec.ports ?? []).enumerated() {
            let field = "spec.ports[\(index)]"
            guard let proto = transportProtocol(specPort.protocol, field: field + ".protocol", reference, &warnings) else { continue }
            guard let number = port(specPort.port, field: field + ".port", reference, &warnings) else { continue }
            let name = ServicePortName(service: key, port: specPort.name ?? "", protocol: proto)
            guard seen.insert(name).inserted else {
                warnings.add(reference, field: field, "duplicate port \(name)/\(proto); skipping this port")
                continue
            }
            var nodePort: UInt16?
            if type == "NodePort" || type == "LoadBalancer", let value = specPort.nodePort, value != 0 {
                nodePort = port(value, field: field + ".nodePort", reference, &warnings)
            }
            var servicePort = ServicePort(
                name: name, clusterIP: clusterIP, port: number, nodePort: nodePort, externalIPs: externalIPs,
                loadBalancerIPs: loadBalancerIPs, loadBalancerSourceRanges: sourceRanges,
                loadBalancerSourceRangesIncludeNode: includesNode, healthCheckNodePort: healthCheckNodePort,
                sessionAffinity: affinity, internalTrafficPolicy: internalPolicy, externalTrafficPolicy: externalPolicy)
            let endpoints = endpoints(for: name, family: family, snapshot: snapshot, &warnings)
            let categorized = EndpointCategorization(
                endpoints: endpoints,
                usesClusterEndpoints: internalPolicy == .cluster || servicePort.isExternallyAccessible,
                usesLocalEndpoints: internalPolicy == .local
                    || (externalPolicy == .local && servicePort.isExternallyAccessible),
                nodeName: configuration.nodeName, zone: node.zone)
            servicePort.clusterEndpoints = categorized.clusterEndpoints
            servicePort.localEndpoints = categorized.localEndpoints
            servicePort.topologyMode = categorized.topologyMode
            servicePort.hasAnyEndpoints = categorized.hasAnyEndpoints
            servicePort.servingEndpointAddresses = Array(Set(endpoints.filter(\.isServing).map(\.address))).sorted()
            ports.append(servicePort)
        }
        ports.sort { $0.name < $1.name }
        return (ports, warnings.items)
    }

    /// Headless-labelled Services and those of another proxy are not ours; ExternalName and headless Services
    /// have nothing to proxy.
    func isProxied(_ service: Service) -> Bool {
        if service.metadata.label(Self.headlessLabel) != nil { return false }
        if let owner = service.metadata.label(Self.serviceProxyNameLabel), owner != configuration.serviceProxyName {
            return false
        }
        if service.spec.type == "ExternalName" { return false }
        let clusterIP = service.spec.clusterIP ?? service.spec.clusterIPs?.first ?? ""
        return clusterIP != "" && clusterIP != "None"
    }

    /// The ClusterIP of `family` (upstream's `GetClusterIPByFamily`); nil, with a warning, if it is unparsable.
    func clusterIP(
        of service: Service, family: IPFamily, _ reference: ObjectReference, _ warnings: inout WarningList
    ) -> IPAddress? {
        let spec = service.spec
        let clusterIPs = spec.clusterIPs ?? spec.clusterIP.map { [$0] } ?? []
        if let families = spec.ipFamilies, !families.isEmpty {
            guard let index = families.firstIndex(of: family.rawValue), index < clusterIPs.count else { return nil }
            let text = clusterIPs[index]
            guard let ip = IPAddress(text) else {
                warnings.add(reference, field: "spec.clusterIPs[\(index)]", "\"\(text)\" is not an IP address; skipping this Service")
                return nil
            }
            guard ip.family == family else {
                warnings.add(reference, field: "spec.clusterIPs[\(index)]", "\"\(text)\" is not \(family) as spec.ipFamilies[\(index)] says; skipping this Service")
                return nil
            }
            return ip
        }
        // Services written before dual-stack may carry only clusterIP.
        guard let text = clusterIPs.first else { return nil }
        guard let ip = IPAddress(text) else {
            if family == .ipv4 {  // report once, not once per family
                warnings.add(reference, field: spec.clusterIPs == nil ? "spec.clusterIP" : "spec.clusterIPs[0]", "\"\(text)\" is not an IP address; skipping this Service")
            }
            return nil
        }
        return ip.family == family ? ip : nil
    }

    func serviceType(_ spec: Service.Spec, _ reference: ObjectReference, _ warnings: inout WarningList) -> String {
        switch spec.type {
        case nil: return "ClusterIP"
        case let type? where ["ClusterIP", "NodePort", "LoadBalancer"].contains(type): return type
        case let other?:
            warnings.add(reference, field: "spec.type", "\"\(other)\" is not a known Service type; treating it as ClusterIP")
            return "ClusterIP"
        }
    }

    /// Parses a list of IPs, keeping those of `family` and warning about unparsable ones.
    func addresses(
        _ texts: [String], family: IPFamily, field: String, _ reference: ObjectReference, _ warnings: inout WarningList
    ) -> [IPAddress] {
        var result: [IPAddress] = []
        for (index, text) in texts.enumerated() {
            guard let ip = IPAddress(text) else {
                warnings.add(reference, field: "\(field)[\(index)]", "\"\(text)\" is not an IP address; ignoring it")
                continue
            }
            if ip.family == family { result.append(ip) }
        }
        return Array(Set(result)).sorted()
    }

    /// LoadBalancer ingress IPs of `family`, without `ipMode: Proxy` ones (the load balancer delivers those to
    /// the node itself, so programming the VIP would short-circuit the load balancer).
    func loadBalancerIPs(
        _ service: Service, family: IPFamily, _ reference: ObjectReference, _ warnings: inout WarningList
    ) -> [IPAddress] {
        var result: [IPAddress] = []
        for (index, ingress) in (service.status?.loadBalancer?.ingress ?? []).enumerated() {
            guard let text = ingress.ip, !text.isEmpty else { continue }
            let field = "status.loadBalancer.ingress[\(index)]"
            switch ingress.ipMode {
            case nil, "VIP": break
            case "Proxy": continue
            case let other?:
                warnings.add(reference, field: field + ".ipMode", "\"\(other)\" is not VIP or Proxy; not programming \(text)")
                continue
            }
            guard let ip = IPAddress(text) else {
                warnings.add(reference, field: field + ".ip", "\"\(text)\" is not an IP address; ignoring it")
                continue
            }
            if ip.family == family { result.append(ip) }
        }
        return Array(Set(result)).sorted()
    }

    /// The source ranges of `family`, whitespace trimmed. Nil means no filtering: no ranges, ranges only of the
    /// other family, or a zero-length prefix (allow all). If ranges were given and none parses at all, the
    /// answer is an empty list, which allows nobody: a typo must not open a load balancer to the world.
    func sourceRanges(
        _ texts: [String], family: IPFamily, _ reference: ObjectReference, _ warnings: inout WarningList
    ) -> [CIDR]? {
        guard !texts.isEmpty else { return nil }
        var valid: [CIDR] = []
        for (index, text) in texts.enumerated() {
            guard let cidr = CIDR(text.trimmingWhitespace) else {
                warnings.add(reference, field: "spec.loadBalancerSourceRanges[\(index)]", "\"\(text)\" is not a CIDR; ignoring this range")
                continue
            }
            valid.append(cidr)
        }
        if valid.isEmpty {
            warnings.add(reference, field: "spec.loadBalancerSourceRanges", "no valid range; allowing no source at all")
            return []
        }
        let ofFamily = valid.filter { $0.family == family }
        if ofFamily.isEmpty || ofFamily.contains(where: \.isZero) { return nil }
        // Nested ranges (10.0.0.0/8 and 10.1.0.0/16) admit what the outer one admits; the kernel refuses
        // overlapping intervals, so only the outer one is kept.
        return CIDR.nonOverlapping(ofFamily)
    }

    func sessionAffinity(_ spec: Service.Spec, _ reference: ObjectReference, _ warnings: inout WarningList) -> SessionAffinity {
        switch spec.sessionAffinity {
        case nil, "None": return .none
        case "ClientIP":
            guard let timeout = spec.sessionAffinityConfig?.clientIP?.timeoutSeconds else {
                return .clientIP(timeoutSeconds: SessionAffinity.defaultTimeoutSeconds)
            }
            guard (1...86400).contains(timeout) else {
                warnings.add(reference, field: "spec.sessionAffinityConfig.clientIP.timeoutSeconds", "\(timeout) is not within 1…86400; using \(SessionAffinity.defaultTimeoutSeconds)")
                return .clientIP(timeoutSeconds: SessionAffinity.defaultTimeoutSeconds)
            }
            return .clientIP(timeoutSeconds: timeout)
        case let other?:
            warnings.add(reference, field: "spec.sessionAffinity", "\"\(other)\" is not None or ClientIP; using None")
            return .none
        }
    }

    func transportProtocol(_ text: String?, field: String, _ reference: ObjectReference, _ warnings: inout WarningList) -> TransportProtocol? {
        guard let text else { return .tcp }
        guard let value = TransportProtocol(rawValue: text) else {
            warnings.add(reference, field: field, "\"\(text)\" is not TCP, UDP or SCTP; skipping this port")
            return nil
        }
        return value
    }

    func port(_ value: Int?, field: String, _ reference: ObjectReference, _ warnings: inout WarningList) -> UInt16? {
        guard let value else { return nil }
        guard (1...65535).contains(value) else {
            warnings.add(reference, field: field, "\(value) is not a port number (1…65535); ignoring it")
            return nil
        }
        return UInt16(value)
    }

    /// The endpoints of one Service port from all of the Service's slices of `family`, deduplicated by
    /// address and port, sorted. Of two copies of one endpoint the local one (`nodeName` is this node) wins, else
    /// the first by slice name (upstream's `EndpointSliceCache`: a later copy replaces an earlier one only if it
    /// is local).
    func endpoints(
        for name: ServicePortName, family: IPFamily, snapshot: ClusterSnapshot, _ warnings: inout WarningList
    ) -> [ServiceEndpoint] {
        var result: [ServiceEndpoint] = []
        var indexByKey: [ServiceEndpoint.Key: Int] = [:]
        for slice in snapshot.endpointSlices(for: name.service) where slice.addressType == family.rawValue {
            let reference = ObjectReference(kind: .endpointSlice, key: slice.metadata.namespacedKey)
            guard let (portIndex, slicePort) = (slice.ports ?? []).enumerated().first(where: {
                ($0.element.name ?? "") == name.port && ($0.element.protocol ?? "TCP") == name.protocol.rawValue
            }), let portValue = slicePort.port else { continue }
            guard let targetPort = port(portValue, field: "ports[\(portIndex)].port", reference, &warnings) else { continue }
            for (index, endpoint) in (slice.endpoints ?? []).enumerated() {
                guard let text = endpoint.addresses.first else { continue }
                guard let address = IPAddress(text), address.family == family else {
                    warnings.add(reference, field: "endpoints[\(index)].addresses[0]", "\"\(text)\" is not an \(family) address; skipping this endpoint")
                    continue
                }
                let key = ServiceEndpoint.Key(address: address, port: targetPort)
                let isLocal = endpoint.nodeName == configuration.nodeName
                let existing = indexByKey[key]
                if existing != nil && !isLocal { continue }
                let conditions = endpoint.conditions
                let serviceEndpoint = ServiceEndpoint(
                    address: address, port: targetPort, isLocal: isLocal,
                    isReady: conditions?.ready ?? true,
                    isServing: conditions?.serving ?? true,
                    isTerminating: conditions?.terminating ?? false,
                    nodeName: endpoint.nodeName,
                    zoneHints: Set((endpoint.hints?.forZones ?? []).map(\.name)),
                    nodeHints: Set((endpoint.hints?.forNodes ?? []).map(\.name)))
                if let existing {
                    result[existing] = serviceEndpoint
                } else {
                    indexByKey[key] = result.count
                    result.append(serviceEndpoint)
                }
            }
        }
        return result.sorted()
    }
}

extension ServiceEndpoint {
    /// Identity of an endpoint within one Service port.
    struct Key: Hashable {
        var address: IPAddress
        var port: UInt16
    }
}

/// Warnings in the order found, each once (a slice problem shows up for every port that reads the slice).
struct WarningList {
    private(set) var items: [ModelWarning] = []
    private var seen = Set<ModelWarning>()

    mutating func add(_ object: ObjectReference?, field: String? = nil, _ message: String) {
        let warning = ModelWarning(object, field: field, message)
        if seen.insert(warning).inserted { items.append(warning) }
    }
}
