import Backends
import Foundation

/// An in-memory nftables for tests of the backend's bookkeeping without root, as knftables ships one: tables of
/// chains (rule texts) and sets and maps (elements), changed by the subset of nft commands proxyd's renderer writes,
/// one transaction all or nothing.
///
/// It refuses what the kernel refuses for the same reasons the bookkeeping must handle: an operation on a table,
/// chain, set or element that is not there (`No such file or directory`), a chain deleted while it holds rules or
/// is jumped to, or an element added again with another value (`Device or resource busy`, `File exists`), a
/// rule jumping to a missing chain or set; and any command containing a text a test names (`refuse(containing:)`),
/// standing for a rule the kernel cannot take.
///
/// - Important: It checks structure, not nft's grammar: `KernelTests` run the same transactions against the kernel.
public actor FakeNftablesKernel: NftablesKernel {
    /// A set or a map: its kind (`set`, `map`) and elements by key (the value after ` : ` for maps, else empty).
    public struct ElementSet: Sendable, Hashable {
        public var kind: String
        public var elements: [String: String] = [:]
    }

    /// One table (`ip proxyd`): chains with their rules, sets and maps.
    public struct Table: Sendable, Hashable {
        public var chains: [String: [String]] = [:]
        public var sets: [String: ElementSet] = [:]
    }

    /// Every table, by family and name (`ip proxyd`).
    public private(set) var tables: [String: Table] = [:]
    /// Every transaction applied (not those refused, not checks), in order.
    public private(set) var applied: [NftablesTransaction] = []
    /// How many transactions were checked (nft's dry run).
    public private(set) var checks = 0
    private var refusals: [(text: String, message: String)] = []
    private var failure: NftablesError?

    public init() {}

    /// Refuses every transaction with a command containing `text`, as the kernel refuses a rule it cannot take.
    public func refuse(containing text: String, message: String = "value too large") {
        refusals.append((text, message))
    }

    /// Fails every apply and check with `error` until `heal()` (a permission lost, netlink gone).
    public func fail(with error: NftablesError) {
        failure = error
    }

    public func heal() {
        failure = nil
        refusals = []
    }

    /// Deletes a table behind proxyd's back (`nft delete table ip proxyd`).
    public func deleteTable(_ name: String) {
        tables[name] = nil
    }

    public func apply(_ transaction: NftablesTransaction) throws(NftablesError) {
        tables = try run(transaction)
        applied.append(transaction)
    }

    public func check(_ transaction: NftablesTransaction) throws(NftablesError) {
        checks += 1
        _ = try run(transaction)
    }

    /// `list tables`, and `list chain FAMILY TABLE CHAIN` in nft's layout (rules one per line).
    public func list(_ command: String) throws(NftablesError) -> String {
        let words = command.split(separator: " ").map(String.init)
        if words == ["list", "tables"] {
            return tables.keys.sorted().map { "table \($0)\n" }.joined()
        }
        guard words.count == 5, words[0] == "list", words[1] == "chain" else {
            throw NftablesError(code: .invalid, message: "the fake does not list \(command)")
        }
        let table = "\(words[2]) \(words[3])"
        guard let rules = tables[table]?.chains[words[4]] else {
            throw NftablesError(code: .notFound, message: "No such file or directory")
        }
        return "table \(table) {\n\tchain \(words[4]) {\n" + rules.map { "\t\t\($0)\n" }.joined() + "\t}\n}\n"
    }

    // MARK: Interpreting

    /// The tables after `transaction`, or the refusal of its first failing command (nothing applied).
    private func run(_ transaction: NftablesTransaction) throws(NftablesError) -> [String: Table] {
        if let failure { throw failure }
        var state = tables
        for (line, command) in Self.commands(transaction.text) {
            func refuse(_ code: NftablesError.Code, _ message: String) -> NftablesError {
                NftablesError(code: code, message: message, line: line, lineText: command)
            }
            if let refusal = refusals.first(where: { command.contains($0.text) }) {
                throw refuse(.invalid, refusal.message)
            }
            try Self.execute(command, on: &state, refuse)
        }
        return state
    }

    /// The commands of `text` with the line each starts on: a command continues over lines while a brace is open.
    static func commands(_ text: String) -> [(line: Int, command: String)] {
        var result: [(Int, String)] = []
        var current = ""
        var start = 0
        var depth = 0
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if current.isEmpty {
                let trimmed = line.drop { $0 == " " || $0 == "\t" }
                if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
                start = index + 1
            } else {
                current += " "
            }
            current += line.trimmingSpaces
            depth += line.count(where: { $0 == "{" }) - line.count(where: { $0 == "}" })
            if depth <= 0 {
                result.append((start, current))
                current = ""
                depth = 0
            }
        }
        if !current.isEmpty { result.append((start, current)) }
        return result
    }

    static func execute(
        _ command: String, on tables: inout [String: Table], _ refuse: (NftablesError.Code, String) -> NftablesError
    ) throws(NftablesError) {
        let words = command.split(separator: " ", maxSplits: 5, omittingEmptySubsequences: true).map(String.init)
        guard words.count >= 4 else { throw refuse(.invalid, "syntax error") }
        let (verb, object, table) = (words[0], words[1], "\(words[2]) \(words[3])")
        let name = words.count > 4 ? words[4] : ""
        let rest = words.count > 5 ? words[5] : ""
        let missing = refuse(.notFound, "No such file or directory")
        if object == "table" {
            switch verb {
            case "add": if tables[table] == nil { tables[table] = Table() }
            case "delete": guard tables.removeValue(forKey: table) != nil else { throw missing }
            case "flush":
                guard var contents = tables[table] else { throw missing }
                contents.chains = contents.chains.mapValues { _ in [] }
                tables[table] = contents
            default: throw refuse(.invalid, "syntax error")
            }
            return
        }
        guard var contents = tables[table] else { throw missing }
        defer { tables[table] = contents }
        switch (verb, object) {
        case ("add", "chain"):
            if contents.chains[name] == nil { contents.chains[name] = [] }
        case ("flush", "chain"):
            guard contents.chains[name] != nil else { throw missing }
            contents.chains[name] = []
        case ("delete", "chain"):
            guard let rules = contents.chains[name] else { throw missing }
            if !rules.isEmpty || contents.refers(to: name) { throw refuse(.failed, "Device or resource busy") }
            contents.chains[name] = nil
        case ("add", "rule"):
            guard contents.chains[name] != nil else { throw missing }
            let rule = rest
            for target in Self.references(in: rule) where !contents.has(target) { throw missing }
            contents.chains[name]!.append(rule)
        case ("add", "set"), ("add", "map"):
            if contents.sets[name] == nil { contents.sets[name] = ElementSet(kind: object) }
        case ("flush", "set"), ("flush", "map"):
            guard contents.sets[name] != nil else { throw missing }
            contents.sets[name]!.elements = [:]
        case ("delete", "set"), ("delete", "map"):
            guard contents.sets.removeValue(forKey: name) != nil else { throw missing }
        case ("add", "element"):
            guard var set = contents.sets[name] else { throw missing }
            for element in Self.elements(rest) {
                let (key, value) = Self.split(element)
                for target in Self.references(in: value) where !contents.has(target) { throw missing }
                if let existing = set.elements[key], existing != value { throw refuse(.alreadyExists, "File exists") }
                set.elements[key] = value
            }
            contents.sets[name] = set
        case ("delete", "element"):
            guard var set = contents.sets[name] else { throw missing }
            for element in Self.elements(rest) {
                guard set.elements.removeValue(forKey: Self.split(element).key) != nil else { throw missing }
            }
            contents.sets[name] = set
        default:
            throw refuse(.invalid, "syntax error")
        }
    }

    /// The elements between the braces, split at top-level commas.
    static func elements(_ text: String) -> [String] {
        guard let open = text.firstIndex(of: "{"), let close = text.lastIndex(of: "}") else { return [] }
        return text[text.index(after: open)..<close].split(separator: ",").map { $0.trimmingSpaces }.filter { !$0.isEmpty }
    }

    /// An element's key (without its comment, which `delete element` leaves out) and, for a map, its value.
    static func split(_ element: String) -> (key: String, value: String) {
        var key = element
        var value = ""
        if let range = element.range(of: " : ") {
            key = String(element[..<range.lowerBound])
            value = String(element[range.upperBound...])
        }
        if let comment = key.range(of: " comment \"") { key = String(key[..<comment.lowerBound]) }
        return (key, value)
    }

    /// The chains (`jump`/`goto NAME`) and sets (`@NAME`) a rule or a verdict refers to.
    static func references(in text: String) -> [Reference] {
        let words = text.split(whereSeparator: { $0 == " " || $0 == "," || $0 == "{" || $0 == "}" }).map(String.init)
        var result: [Reference] = []
        for (index, word) in words.enumerated() {
            if (word == "jump" || word == "goto"), index + 1 < words.count { result.append(.chain(words[index + 1])) }
            if word.hasPrefix("@") { result.append(.set(String(word.dropFirst()))) }
        }
        return result
    }

    enum Reference: Hashable {
        case chain(String)
        case set(String)
    }
}

extension FakeNftablesKernel.Table {
    func has(_ reference: FakeNftablesKernel.Reference) -> Bool {
        switch reference {
        case .chain(let name): chains[name] != nil
        case .set(let name): sets[name] != nil
        }
    }

    /// Whether a rule or a map verdict jumps to `chain`.
    func refers(to chain: String) -> Bool {
        let reference = FakeNftablesKernel.Reference.chain(chain)
        return chains.values.contains { rules in rules.contains { FakeNftablesKernel.references(in: $0).contains(reference) } }
            || sets.values.contains { set in set.elements.values.contains { FakeNftablesKernel.references(in: $0).contains(reference) } }
    }
}

extension StringProtocol {
    fileprivate var trimmingSpaces: String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
