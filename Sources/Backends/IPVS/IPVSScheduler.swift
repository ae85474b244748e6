/// An IPVS scheduling method by its kernel name (`rr`, `wrr`, `lc`, …): how a virtual server picks a real server.
///
/// `supported` are the names proxyd accepts from its settings (kube-proxy's list); a virtual server listed from the
/// kernel may carry any name.
public struct IPVSScheduler: Sendable, Hashable, CustomStringConvertible {
    public var name: String

    /// A name as the kernel reports it; not validated.
    public init(kernelName: String) { name = kernelName }

    /// A name from proxyd's settings; must be one of `supported`.
    public init(validating text: String) throws(IPVSSettingsError) {
        let name = text.trimmingWhitespace()
        guard Self.supported.contains(where: { $0.name == name }) else {
            throw IPVSSettingsError(
                field: "scheduler", value: text,
                problem: "is not an IPVS scheduler proxyd supports; use one of \(Self.supported.map(\.name).joined(separator: ", "))")
        }
        self.name = name
    }

    public static let roundRobin = IPVSScheduler(kernelName: "rr")

    /// rr (the default), wrr, lc, wlc, lblc, lblcr, sh, dh, sed, nq, mh — each needs its kernel module
    /// (`ip_vs_<name>`), which the kernel loads on first use.
    public static let supported: [IPVSScheduler] = ["rr", "wrr", "lc", "wlc", "lblc", "lblcr", "sh", "dh", "sed", "nq", "mh"]
        .map(IPVSScheduler.init(kernelName:))

    /// Flags the scheduler needs on every virtual server: `mh` hashes the source port too (`mh-port`), as
    /// kube-proxy sets it, so that connections of one client spread over the real servers.
    public var requiredFlags: IPVSServiceFlags { name == "mh" ? .schedulerFlag2 : [] }

    public var description: String { name }
}

extension String {
    /// Without leading and trailing spaces, tabs and newlines.
    func trimmingWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        return String(drop(while: isSpace).reversed().drop(while: isSpace).reversed())
    }
}
