/// What a source reports: an object appeared, changed or went away, or the source has delivered its complete
/// initial state.
///
/// - Important: Sources emit `synced` exactly once, after every initial list is complete; consumers must not
///   program the kernel before it, or a half-listed cluster would briefly reject Services that exist.
public enum ObjectEvent: Sendable, Hashable {
    case added(KubernetesObject)
    case modified(KubernetesObject)
    /// Carries the last known state of the object.
    case deleted(KubernetesObject)
    case synced
}
