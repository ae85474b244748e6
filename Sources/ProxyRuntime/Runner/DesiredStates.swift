import Logging
import ServiceModel

/// The desired state of every served family, with the model's warnings logged once each.
public enum DesiredStates {
    /// Computes the states of `snapshot` as this node (`configuration.nodeName`, its addresses now) serves them.
    public static func compute(snapshot: ClusterSnapshot, configuration: ProxyConfiguration, logger: Logger) -> [DesiredState] {
        let model = ProxyModel(configuration: configuration)
        let node = NodeContext(
            snapshot: snapshot, nodeName: configuration.nodeName, localAddresses: LocalAddresses.read(),
            hostFamilies: LocalAddresses.hostFamilies())
        var seenWarnings = Set<ModelWarning>()
        for warning in model.unservedFamilyWarnings(node: node) { logger.warning("\(warning)") }
        var states: [DesiredState] = []
        for family in model.servedFamilies(node: node) {
            let output = model.desiredState(for: family, snapshot: snapshot, node: node)
            for warning in output.warnings where seenWarnings.insert(warning).inserted {
                logger.warning("\(warning)")
            }
            states.append(output.state)
        }
        return states
    }
}
