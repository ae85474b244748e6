/// IPVS could not be used or refused a request: what was asked, and why.
public struct IPVSError: Error, Sendable, CustomStringConvertible {
    public enum Code: Sendable, Hashable {
        /// The kernel has no IPVS (the `ip_vs` module is not loaded, or the kernel lacks `CONFIG_IP_VS`).
        case missingFromKernel
        /// The kernel answered the request with an error (`kernelErrno`).
        case refused
        /// The kernel's answer could not be read.
        case malformedAnswer
        /// The request could not be sent (socket, memory).
        case failed
    }

    public var code: Code
    public var message: String
    /// The kernel's errno, for `refused`.
    public var kernelErrno: Int32?

    public init(_ code: Code, _ message: String, kernelErrno: Int32? = nil) {
        self.code = code
        self.message = message
        self.kernelErrno = kernelErrno
    }

    init(_ error: NetlinkError) {
        self.init(error.kernelErrno == nil ? .failed : .refused, error.description, kernelErrno: error.kernelErrno)
    }

    /// The kernel has no IPVS: proxyd cannot have used it, and IPVS mode cannot work on this node.
    public var isMissingFromKernel: Bool { code == .missingFromKernel }

    /// The object the request named does not exist (a delete of something already gone).
    public var isNotFound: Bool { NetlinkError.isNotFound(kernelErrno) }

    public var description: String { message }

    public static let missingModule = IPVSError(
        .missingFromKernel,
        "the kernel has no IPVS: load the ip_vs module (`modprobe ip_vs`; on a node, list it in /etc/modules-load.d) or use a kernel built with CONFIG_IP_VS")
}
