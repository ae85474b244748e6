import ArgumentParser
import Backends

/// `--proxy-mode nftables|iptables|ipvs`, in any case.
extension ProxyMode: ExpressibleByArgument {
    public init?(argument: String) {
        self.init(rawValue: argument.lowercased())
    }

    public static var allValueStrings: [String] { allCases.map(\.rawValue) }
}
