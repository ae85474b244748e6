/// A piece of Swift test code that needs a kernel this machine lacks (IPVS, dummy interfaces): it runs inside the
/// VM, in `proxyd-vmcheck`, and its result comes back to a host-side test (`VMCheckSession`).
///
/// A check states its expectations through its `VMCheckContext`, as a swift-testing test does through `#expect`;
/// every failed expectation comes back with its source location and is recorded by the host test at that line.
///
/// - Important: Each check builds what it needs (a scratch namespace, a lab) and removes it, also on failure,
///   so checks run in any order — except those that say they must run first in a fresh VM.
public struct VMCheck: Sendable {
    public var name: String
    /// How long the check may take in the VM (software emulation: roughly ten times slower than this machine).
    public var timeout: Duration
    public var body: @Sendable (VMCheckContext) async throws -> Void

    public init(_ name: String, timeout: Duration = .seconds(120), body: @escaping @Sendable (VMCheckContext) async throws -> Void) {
        self.name = name
        self.timeout = timeout
        self.body = body
    }
}
