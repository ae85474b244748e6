import ServiceModel

/// Parses `conntrack -L -o extended` output.
public enum ConntrackParser {
    /// One entry per non-empty line; the "N flow entries have been shown" summary goes to stderr, not here.
    ///
    /// A line: `ipv4 2 tcp 6 119 TIME_WAIT src=A dst=B sport=P dport=Q src=B' dst=A' sport=Q' dport=P' [ASSURED]
    /// mark=0 use=1`. The first `src/dst/sport/dport` group is the original direction, the second the reply.
    public static func parse(extendedOutput output: String) throws(LabError) -> [ConntrackEntry] {
        var entries: [ConntrackEntry] = []
        for line in output.split(whereSeparator: \.isNewline) where !line.allSatisfy(\.isWhitespace) {
            entries.append(try parse(line: line))
        }
        return entries
    }

    static func parse(line: Substring) throws(LabError) -> ConntrackEntry {
        func fail(_ why: String) -> LabError {
            LabError(.unexpectedOutput, "conntrack line \"\(line)\": \(why)")
        }
        let words = line.split(separator: " ", omittingEmptySubsequences: true)
        guard words.count >= 5 else { throw fail("too few fields") }
        let family: IPFamily
        switch words[0] {
        case "ipv4": family = .ipv4
        case "ipv6": family = .ipv6
        default: throw fail("unknown family \(words[0])")
        }
        let protocolName = String(words[2])

        var state: String?
        var flags: Set<String> = []
        var mark: UInt32?
        var tuples: [[String: Substring]] = []  // original, reply
        for word in words[5...] {
            if word.hasPrefix("[") && word.hasSuffix("]") {
                flags.insert(String(word.dropFirst().dropLast()))
                continue
            }
            guard let equals = word.firstIndex(of: "=") else {
                if tuples.isEmpty && state == nil { state = String(word) }  // the TCP/SCTP state precedes the tuples
                continue
            }
            let key = word[..<equals]
            let value = word[word.index(after: equals)...]
            switch key {
            case "src":
                tuples.append(["src": value])
            case "dst", "sport", "dport":
                guard !tuples.isEmpty else { throw fail("\(key) before src") }
                if tuples[tuples.count - 1][String(key)] == nil { tuples[tuples.count - 1][String(key)] = value }
            case "mark":
                mark = UInt32(value)
            default:
                continue  // use, zone, id, timeout fields, labels…: not needed by tests
            }
        }
        guard tuples.count >= 2 else { throw fail("expected an original and a reply tuple") }
        func tuple(_ fields: [String: Substring]) throws(LabError) -> ConntrackTuple {
            guard let source = fields["src"].flatMap({ IPAddress($0) }), let destination = fields["dst"].flatMap({ IPAddress($0) }) else {
                throw fail("tuple without valid src/dst")
            }
            return ConntrackTuple(
                source: source, destination: destination,
                sourcePort: fields["sport"].flatMap { UInt16($0) }, destinationPort: fields["dport"].flatMap { UInt16($0) }
            )
        }
        return ConntrackEntry(
            family: family, protocolName: protocolName, state: state,
            original: try tuple(tuples[0]), reply: try tuple(tuples[1]), flags: flags, mark: mark
        )
    }
}
