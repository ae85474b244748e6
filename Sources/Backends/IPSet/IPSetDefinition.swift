import ServiceModel

/// One set as `ipset create` makes it: name, type, family and size limit.
public struct IPSetDefinition: Sendable, Hashable {
    public var name: String
    public var type: IPSetType
    public var family: IPFamily
    /// The most entries the set accepts (`maxelem`; hash types only). A hash set starts small (`hashsize 1024`)
    /// and grows up to this.
    public var maxElements: Int

    /// kube-proxy's (and ipset's) default limit.
    public static let defaultMaxElements = 65536

    public init(name: String, type: IPSetType, family: IPFamily, maxElements: Int = defaultMaxElements) {
        self.name = name
        self.type = type
        self.family = family
        self.maxElements = maxElements
    }

    /// `create NAME hash:ip,port family inet hashsize 1024 maxelem 65536`, or `create NAME bitmap:port range 0-65535`.
    public var createCommand: String {
        switch type {
        case .bitmapPort:
            return "create \(name) \(type) range 0-65535"
        case .hashIP, .hashIPPort, .hashIPPortIP, .hashIPPortNet:
            return "create \(name) \(type) family \(family == .ipv4 ? "inet" : "inet6") hashsize 1024 maxelem \(maxElements)"
        }
    }

    /// Whether `ipset swap` accepts this set and a listed one: same type, and for hash types the same family.
    /// (Sizes may differ: the swapped-in set brings its own.)
    public func canSwap(with listed: IPSetListing.ListedSet) -> Bool {
        listed.type == type.rawValue && (!type.hasFamily || listed.family == family)
    }

    /// The same set under another name (the temporary set a full sync fills before swapping it in).
    public func named(_ name: String) -> IPSetDefinition {
        var copy = self
        copy.name = name
        return copy
    }
}
