import Backends

/// An in-memory model of `iptables-restore --noflush` for property tests of the renderer: tables of chains of
/// rule texts, each `*table … COMMIT` section applied all or nothing, with iptables' rules about chains
/// (declared before use; deleted only when empty and unreferenced; `-D` and `-C` need an identical rule).
///
/// The real kernel tests (`KernelTests/Iptables…`) check the same inputs against iptables itself; this model
/// lets thousands of random change sequences run in milliseconds. `FakeIptablesKernel` puts it behind the driver's
/// protocol.
public struct IptablesFakeTables: Equatable, Sendable {
    /// table → chain → rules (the text after `-A CHAIN `).
    public var tables: [String: [String: [String]]] = [
        "filter": ["INPUT": [], "FORWARD": [], "OUTPUT": []],
        "nat": ["PREROUTING": [], "INPUT": [], "OUTPUT": [], "POSTROUTING": []],
    ]

    static let builtinTargets: Set<String> = ["ACCEPT", "DROP", "REJECT", "RETURN", "DNAT", "MASQUERADE", "MARK"]

    public struct Refused: Error, CustomStringConvertible {
        public var line: Int
        public var text: String
        public var why: String
        public var description: String { "line \(line): \(why): \(text)" }
    }

    /// Applies one restore input; a refused section leaves its table as it was (earlier sections stay).
    public init() {}

    public mutating func restore(_ input: String) throws(Refused) {
        var current: (name: String, chains: [String: [String]])?
        var number = 0
        for raw in input.split(separator: "\n", omittingEmptySubsequences: false) {
            number += 1
            let line = String(raw)
            if line.isEmpty || line.hasPrefix("#") || line == "-S" { continue }  // a listing changes nothing
            func refuse(_ why: String) -> Refused { Refused(line: number, text: line, why: why) }
            if line.hasPrefix("*") {
                let name = String(line.dropFirst())
                current = (name, tables[name] ?? [:])
                continue
            }
            guard var table = current else { throw refuse("outside a table") }
            if line == "COMMIT" {
                try Self.checkReferences(table.chains, line: number)
                tables[table.name] = table.chains
                current = nil
                continue
            }
            if line.hasPrefix(":") {
                let name = String(line.dropFirst().prefix { $0 != " " })
                table.chains[name] = []
                current = table
                continue
            }
            let words = line.split(separator: " ", maxSplits: 2).map(String.init)
            guard words.count >= 2 else { throw refuse("no chain") }
            let (command, chain) = (words[0], words[1])
            let rest = words.count > 2 ? words[2] : ""
            guard table.chains[chain] != nil else { throw refuse("chain \(chain) does not exist") }
            switch command {
            case "-A":
                try requireTarget(rest, in: table.chains, refuse)
                table.chains[chain]!.append(rest)
            case "-I":
                let position = Int(rest.prefix { $0.isNumber })!
                let spec = String(rest.drop { $0.isNumber }.dropFirst())
                try requireTarget(spec, in: table.chains, refuse)
                // iptables inserts before rule `position`, or appends at one past the last rule; further is an error.
                guard position >= 1, position <= table.chains[chain]!.count + 1 else { throw refuse("index of insertion too big") }
                table.chains[chain]!.insert(spec, at: position - 1)
            case "-D":
                guard let index = table.chains[chain]!.firstIndex(of: rest) else { throw refuse("no such rule") }
                table.chains[chain]!.remove(at: index)
            case "-C":
                guard table.chains[chain]!.contains(rest) else { throw refuse("check failed") }
            case "-X":
                guard table.chains[chain]!.isEmpty else { throw refuse("chain \(chain) is not empty") }
                let referenced = table.chains.values.contains { rules in rules.contains { Self.target($0) == chain } }
                guard !referenced else { throw refuse("chain \(chain) is referenced") }
                table.chains[chain] = nil
            default:
                throw refuse("unknown command")
            }
            current = table
        }
        if current != nil { throw Refused(line: number, text: "", why: "no COMMIT") }
    }

    private func requireTarget(_ spec: String, in chains: [String: [String]], _ refuse: (String) -> Refused) throws(Refused) {
        guard let target = Self.target(spec) else { return }
        if Self.builtinTargets.contains(target) || chains[target] != nil { return }
        throw refuse("target \(target) does not exist")
    }

    private static func checkReferences(_ chains: [String: [String]], line: Int) throws(Refused) {
        for (chain, rules) in chains {
            for rule in rules {
                if let target = target(rule), !builtinTargets.contains(target), chains[target] == nil {
                    throw Refused(line: line, text: rule, why: "\(chain) jumps to missing \(target)")
                }
            }
        }
    }

    /// The `-j` target of a rule, if any.
    public static func target(_ spec: String) -> String? {
        let words = IptablesCleanupPlan.words(spec)
        guard let index = words.firstIndex(of: "-j"), index + 1 < words.count else { return nil }
        return words[index + 1]
    }

    /// proxyd's part of the tables: its chains, and the rules of built-in chains that jump to them.
    public var proxydView: [String: [String: [String]]] {
        tables.mapValues { chains in
            var view: [String: [String]] = [:]
            for (name, rules) in chains {
                if ProxydNames.isProxydChain(name) {
                    view[name] = rules
                } else {
                    let jumps = rules.filter { Self.target($0).map(ProxydNames.isProxydChain) ?? false }
                    if !jumps.isEmpty { view[name] = jumps }
                }
            }
            return view
        }
    }

    /// Empties every chain of a table, as `iptables -t TABLE -F` does.
    public mutating func flush(_ table: String) {
        tables[table] = tables[table]!.mapValues { _ in [] }
    }
}
