import Backends

/// The system programs the lab drives (besides /bin/sh), found on disk once, with the Debian package to install when missing.
enum SystemTool: String, Sendable, CaseIterable {
    case ip, nft, conntrack, openssl, unshare, mount, ipvsadm, modprobe

    var debianPackage: String {
        switch self {
        case .ip: "iproute2"
        case .nft: "nftables"
        case .conntrack: "conntrack"
        case .openssl: "openssl"
        case .unshare, .mount: "util-linux"
        case .ipvsadm: "ipvsadm"
        case .modprobe: "kmod"
        }
    }

    /// The absolute path. Looks in PATH and in the sbin directories, which a non-login PATH may lack.
    func path() throws(LabError) -> String {
        if let tool = CommandLineTool.find(rawValue) { return tool.path }
        throw LabError(
            .toolMissing,
            "`\(rawValue)` is not installed (Debian package \(debianPackage); `make deps` installs what the tests need)"
        )
    }
}
