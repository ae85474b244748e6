/// What the iptables rules of IPVS mode are configured with, beyond the node settings of the desired state: the
/// two packet-mark bits they use.
public struct IPVSIptablesSettings: Sendable, Hashable {
    /// The bit that flags traffic to masquerade (`--iptables-masquerade-bit`, default 14 = `0x4000`), as in
    /// iptables mode: `PROXYD-POSTROUTING` masquerades and clears it.
    public var masqueradeBit: Int
    /// The bit that flags traffic to drop (default 15 = `0x8000`, kube-proxy's old `--iptables-drop-bit`): the nat
    /// table decides (source ranges, Local policies without a local endpoint) and the filter table drops.
    ///
    /// A mark, because node-originated traffic meets IPVS in the output hook before the filter table: only the nat
    /// table (which runs first) still sees the Service address, and only a mark carries its decision past IPVS.
    public var dropBit: Int

    public init(masqueradeBit: Int = 14, dropBit: Int = 15) {
        self.masqueradeBit = masqueradeBit
        self.dropBit = dropBit
    }

    /// Validates a drop bit as an operator gave it: 0…31 and not the masquerade bit (which proxyd's flags and
    /// configuration file validate on their own).
    public init(masqueradeBit: Int, validatingDropBit dropBit: Int) throws(IPVSSettingsError) {
        guard (0...31).contains(dropBit) else {
            throw IPVSSettingsError(field: "dropBit", value: String(dropBit), problem: "is not a packet-mark bit (0-31)")
        }
        guard masqueradeBit != dropBit else {
            throw IPVSSettingsError(
                field: "dropBit", value: String(dropBit), problem: "is the masquerade bit too; IPVS mode needs two different bits")
        }
        self.init(masqueradeBit: masqueradeBit, dropBit: dropBit)
    }

    /// `0x4000` for bit 14.
    static func mark(_ bit: Int) -> String { "0x" + String(UInt32(1) << UInt32(bit & 31), radix: 16) }

    var masqueradeMark: String { Self.mark(masqueradeBit) }
    var dropMark: String { Self.mark(dropBit) }
}
