/// IPVS's connection timeouts (`ipvs.tcpTimeout`, `tcpFinTimeout`, `udpTimeout`), in whole seconds, as
/// `ipvsadm --set TCP TCPFIN UDP` sets them: how long an idle established TCP connection, a TCP connection after its
/// FIN, and a UDP flow stay in IPVS's connection table. They are per network namespace, for every virtual server.
///
/// 0 leaves the kernel's value (its `ip_vs_set_timeout` skips zeros): kube-proxy sends all three when any is
/// non-zero, and so does proxyd (`IPVSRequest.setTimeouts`), at every full sync.
public struct IPVSTimeouts: Sendable, Hashable, CustomStringConvertible {
    public var tcp: UInt32
    public var tcpFin: UInt32
    public var udp: UInt32

    public init(tcp: UInt32 = 0, tcpFin: UInt32 = 0, udp: UInt32 = 0) {
        self.tcp = tcp
        self.tcpFin = tcpFin
        self.udp = udp
    }

    /// The settings' timeouts, rounded down to seconds (as kube-proxy's `uint32(d.Seconds())`); nil when all three
    /// leave the kernel's, so that nothing is sent.
    public init?(_ settings: IPVSSettings) {
        func seconds(_ duration: Duration?) -> UInt32 {
            guard let duration, duration > .zero else { return 0 }
            return UInt32(clamping: duration.components.seconds)
        }
        self.init(tcp: seconds(settings.tcpTimeout), tcpFin: seconds(settings.tcpFinTimeout), udp: seconds(settings.udpTimeout))
        if tcp == 0 && tcpFin == 0 && udp == 0 { return nil }
    }

    /// `ipvsadm --set 900 120 300`.
    public var description: String { "ipvsadm --set \(tcp) \(tcpFin) \(udp)" }
}
