import Backends
import ServiceModel

/// An in-memory iptables behind the driver's protocol (`IptablesKernel`): one `IptablesFakeTables` per family, each
/// `*table … COMMIT` section all or nothing, `--test` on a copy, listings in `iptables-save`'s format — so that the
/// iptables backend's bookkeeping is tested without root. `refuse(containing:)` stands for a rule iptables cannot
/// take.
public actor FakeIptablesKernel: IptablesKernel {
    public nonisolated let flavour: IptablesFlavour = .nft
    public private(set) var tables: [IPFamily: IptablesFakeTables] = [:]
    /// Every input restored (not those refused, not tests), in order.
    public private(set) var restored: [IptablesRestoreInput] = []
    /// How many inputs were tested (`--test`).
    public private(set) var tests = 0
    private var refusals: [String] = []

    public init() {}

    /// Refuses every input with a line containing `text`.
    public func refuse(containing text: String) {
        refusals.append(text)
    }

    public func heal() {
        refusals = []
    }

    /// Empties every chain of one table, as `iptables -t TABLE -F` by someone else does.
    public func flush(_ table: String, family: IPFamily) {
        tables[family, default: IptablesFakeTables()].flush(table)
    }

    public func restore(_ input: IptablesRestoreInput) throws(IptablesError) {
        tables[input.family] = try run(input)
        restored.append(input)
    }

    public func test(_ input: IptablesRestoreInput) throws(IptablesError) {
        tests += 1
        _ = try run(input)
    }

    public func listing(_ family: IPFamily) -> IptablesTableListing {
        IptablesTableListing(save: Self.save(tables[family] ?? IptablesFakeTables()))
    }

    private func run(_ input: IptablesRestoreInput) throws(IptablesError) -> IptablesFakeTables {
        for (index, line) in input.text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
        where refusals.contains(where: { line.contains($0) }) {
            throw IptablesError(code: .refused, family: input.family, message: "line \(index + 1) failed: Bad argument", line: index + 1)
        }
        var copy = tables[input.family] ?? IptablesFakeTables()
        do {
            try copy.restore(input.text)
        } catch {
            let meaning = input.checks[error.line]
            throw IptablesError(
                code: meaning != nil ? .checkFailed : .refused, family: input.family, message: "line \(error.line) failed: \(error.why)",
                line: error.line, checkMeaning: meaning)
        }
        return copy
    }

    /// `iptables-save` of both tables.
    static func save(_ fake: IptablesFakeTables) -> String {
        var text = ""
        for table in fake.tables.keys.sorted() {
            let chains = fake.tables[table]!
            text += "*\(table)\n"
            for chain in chains.keys.sorted() {
                text += ":\(chain) \(ProxydNames.isProxydChain(chain) ? "-" : "ACCEPT") [0:0]\n"
            }
            for chain in chains.keys.sorted() {
                for rule in chains[chain]! { text += "-A \(chain) \(rule)\n" }
            }
            text += "COMMIT\n"
        }
        return text
    }
}
