import CNetlink
import Glibc

/// A netlink request that failed: what was asked, and the kernel's errno or libnl's reason.
public struct NetlinkError: Error, Sendable, CustomStringConvertible {
    public var operation: String
    /// libnl's (negative) error code.
    public var libnlCode: Int32
    /// The errno the kernel answered with (`EEXIST`, `ESRCH`, …); nil when the request failed before an answer.
    public var kernelErrno: Int32?

    public init(operation: String, libnlCode: Int32, kernelErrno: Int32 = 0) {
        self.operation = operation
        self.libnlCode = libnlCode
        self.kernelErrno = kernelErrno == 0 ? nil : kernelErrno
    }

    /// The kernel said the object already exists.
    public var isAlreadyExisting: Bool { kernelErrno == EEXIST }
    /// The kernel said the object does not exist (IPVS answers ESRCH or ENOENT, rtnetlink ENODEV or EADDRNOTAVAIL).
    public var isNotFound: Bool { Self.isNotFound(kernelErrno) }

    /// Whether the kernel's errno says the object a request named does not exist.
    public static func isNotFound(_ kernelErrno: Int32?) -> Bool { [ESRCH, ENOENT, ENODEV, EADDRNOTAVAIL].contains(kernelErrno ?? 0) }

    public var reason: String {
        if let kernelErrno { return String(cString: strerror(kernelErrno)) }
        return String(cString: cnetlink_error(libnlCode))
    }

    public var description: String { "\(operation): \(reason)" }
}
