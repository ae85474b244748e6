/// Computes what this node must program: a pure function from (configuration, node, objects) to one
/// `DesiredState` per IP family, plus warnings about objects it had to skip or correct.
///
/// Every rule of kube-proxy's Service semantics is decided here, so that each backend only translates.
///
/// - Important: No I/O, no clocks. Equal inputs give equal outputs; incremental updates (`update`) give
///   exactly what a full computation (`desiredState`) would.
public struct ProxyModel: Sendable {
    public var configuration: ProxyConfiguration

    public init(configuration: ProxyConfiguration) {
        self.configuration = configuration
    }

    /// The label that hands a Service to a specific proxy implementation.
    public static let serviceProxyNameLabel = "service.kubernetes.io/service-proxy-name"
    /// The label that marks a Service headless for proxies, whatever its clusterIP.
    public static let headlessLabel = "service.kubernetes.io/headless"

    /// The result of a computation.
    public struct Output: Sendable {
        public var state: DesiredState
        public var warnings: [ModelWarning]
    }

    /// Computes the whole desired state of one family.
    public func desiredState(for family: IPFamily, snapshot: ClusterSnapshot, node: NodeContext) -> Output {
        let (settings, nodeWarnings) = nodeSettings(for: family, node: node)
        var state = DesiredState(family: family, node: settings)
        var warnings = nodeWarnings
        for key in snapshot.services.keys.sorted() {
            let (ports, serviceWarnings) = servicePorts(key, family: family, snapshot: snapshot, node: node, settings: settings)
            if !ports.isEmpty { state.services[key] = ports }
            warnings += serviceWarnings
        }
        return Output(state: state, warnings: warnings)
    }

    /// Recomputes `services` in place and returns exactly what changed: O(changed Services), however large the
    /// state. Node settings must still be current (after a Node or configuration change, recompute everything
    /// with `desiredState`).
    ///
    /// - Important: For the in-place update to avoid copying the whole state, the caller must hold the only
    ///   reference to `state`.
    public func update(
        _ state: inout DesiredState, services: Set<ObjectKey>, snapshot: ClusterSnapshot, node: NodeContext
    ) -> (diff: DesiredStateDiff, warnings: [ModelWarning]) {
        var diff = DesiredStateDiff(family: state.family)
        var warnings: [ModelWarning] = []
        for key in services.sorted() {
            let (ports, serviceWarnings) = servicePorts(
                key, family: state.family, snapshot: snapshot, node: node, settings: state.node)
            warnings += serviceWarnings
            let before = state.services[key] ?? []
            if before == ports { continue }
            diff.record(before: before, after: ports)
            state.services[key] = ports.isEmpty ? nil : ports
        }
        return (diff, warnings)
    }

    /// The IP families this node serves: every family the host's kernel supports, whatever the node's IPs and
    /// `--cluster-cidr` (as kube-proxy's nftables mode, which runs a proxier for IPv6 whenever the host has IPv6).
    /// A single-stack cluster gets an empty table of the other family; a dual-stack Service on a node without an
    /// IP of one family is still reachable through both of its ClusterIPs from this node's pods.
    public func servedFamilies(node: NodeContext) -> [IPFamily] {
        IPFamily.allCases.filter(node.hostFamilies.contains)
    }

    /// Why a family is not served, one warning per family the host cannot serve.
    public func unservedFamilyWarnings(node: NodeContext) -> [ModelWarning] {
        IPFamily.allCases.filter { !node.hostFamilies.contains($0) }.map { family in
            ModelWarning(
                nil,
                "\(family) is not served: this host's kernel has no \(family) support; the \(family) addresses of Services (ClusterIPs, external and load-balancer IPs, NodePorts) are not proxied on this node"
            )
        }
    }

    /// Node-wide settings for one family: node IP, NodePort addresses, local-traffic detection.
    public func nodeSettings(for family: IPFamily, node: NodeContext) -> (DesiredState.NodeSettings, [ModelWarning]) {
        var warnings: [ModelWarning] = []
        let nodeReference = ObjectReference(kind: .node, key: ObjectKey(namespace: "", name: configuration.nodeName))
        var nodeIPs = node.nodeIPs.filter { $0.family == family }
        if node.node == nil {
            if let fallback = node.localAddresses.sorted().first(where: {
                $0.family == family && !$0.isLoopback && !$0.isLinkLocal
            }) {
                nodeIPs = [fallback]
                warnings.append(
                    ModelWarning(nodeReference, "not found; using local address \(fallback) as the node's \(family) IP"))
            } else {
                warnings.append(ModelWarning(nodeReference, "not found and no local \(family) address; node IP unknown"))
            }
        }

        let (nodePortAddresses, nodePortWarnings) = resolveNodePortAddresses(for: family, nodeIPs: nodeIPs, node: node)
        warnings += nodePortWarnings

        let detector: LocalTrafficDetector
        switch configuration.detectLocal {
        case .clusterCIDR:
            let cidrs = configuration.clusterCIDRs.filter { $0.family == family }
            detector = cidrs.isEmpty ? .none : .sourceCIDRs(cidrs)
            if cidrs.isEmpty {
                warnings.append(
                    ModelWarning(
                        nil, field: "--cluster-cidr",
                        "no \(family) prefix given: traffic from local pods to ClusterIPs cannot be told apart and is not masqueraded unless --masquerade-all"
                    ))
            }
        case .nodeCIDR:
            let cidrs = node.podCIDRs.filter { $0.family == family }
            detector = cidrs.isEmpty ? .none : .sourceCIDRs(cidrs)
            if cidrs.isEmpty {
                warnings.append(
                    ModelWarning(nodeReference, field: "spec.podCIDRs", "has no \(family) prefix for --detect-local-mode=NodeCIDR"))
            }
        case .bridgeInterface(let name):
            detector = .interfaceName(name)
        case .interfaceNamePrefix(let prefix):
            detector = .interfaceNamePrefix(prefix)
        }

        let settings = DesiredState.NodeSettings(
            nodeIPs: nodeIPs, nodePortAddresses: nodePortAddresses, localTrafficDetector: detector,
            masqueradeAll: configuration.masqueradeAll)
        return (settings, warnings)
    }
}

extension ProxyModel {
    /// Where NodePorts of `family` are served (upstream's `NodePortAddresses` with nftables' handling of
    /// localhost).
    ///
    /// `--nodeport-addresses` contributes its CIDRs of this family and, for `primary`, the node IP. With nothing
    /// of this family — no CIDR of it and no node IP — or with a zero-length prefix (`0.0.0.0/0`, `::/0`),
    /// NodePorts are served on every local address. Otherwise on the local addresses inside the CIDRs plus the
    /// node IP. Loopback addresses never serve NodePorts: localhost NodePorts are not supported (as in
    /// kube-proxy's nftables mode), with a warning when the configuration asked for them.
    func resolveNodePortAddresses(
        for family: IPFamily, nodeIPs: [IPAddress], node: NodeContext
    ) -> (NodePortAddressSet, [ModelWarning]) {
        var warnings: [ModelWarning] = []
        var cidrs: [CIDR] = []
        var primaryIPs: [IPAddress] = []
        var asksForPrimary = false
        for selector in configuration.nodePortAddresses {
            switch selector {
            case .primary:
                asksForPrimary = true
                primaryIPs += nodeIPs.filter { $0.family == family }
            case .cidr(let cidr):
                if cidr.family == family { cidrs.append(cidr) }
            }
        }
        if cidrs.isEmpty && primaryIPs.isEmpty {
            if asksForPrimary {
                warnings.append(
                    ModelWarning(
                        nil, field: "--nodeport-addresses",
                        "primary: the node has no \(family) IP; serving \(family) NodePorts on every local address, as kube-proxy does"))
            }
            return (.allLocal, warnings)
        }
        if cidrs.contains(where: \.isZero) { return (.allLocal, warnings) }
        var addresses = Set(primaryIPs)
        for cidr in cidrs { addresses.formUnion(node.localAddresses.filter(cidr.contains)) }
        let loopback = addresses.filter(\.isLoopback)
        if !loopback.isEmpty {
            addresses.subtract(loopback)
            warnings.append(
                ModelWarning(
                    nil, field: "--nodeport-addresses",
                    "includes localhost (\(loopback.sorted().map(\.description).joined(separator: ","))) but localhost NodePorts are not supported; ignoring it"))
        }
        if addresses.isEmpty {
            let selectors = configuration.nodePortAddresses.filter {
                if case .cidr(let cidr) = $0 { return cidr.family == family }
                return true
            }
            warnings.append(
                ModelWarning(
                    nil, field: "--nodeport-addresses",
                    "\(selectors.map(\.description).joined(separator: ",")) matches no \(family) address of this node; NodePorts are not served over \(family)"
                ))
        }
        return (.addresses(addresses.sorted()), warnings)
    }
}

extension NodeContext {
    /// The context for `nodeName` as the snapshot knows it.
    public init(
        snapshot: ClusterSnapshot, nodeName: String, localAddresses: [IPAddress],
        hostFamilies: Set<IPFamily> = Set(IPFamily.allCases)
    ) {
        self.init(node: snapshot.nodes[nodeName], localAddresses: localAddresses, hostFamilies: hostFamilies)
    }
}
