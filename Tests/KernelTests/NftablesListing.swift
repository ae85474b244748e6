/// Normalises `nft list table` output so that two tables with the same content compare equal: set elements
/// are sorted (hash sets list in hash order), and top-level sets, maps and chains are sorted by header.
enum NftablesListing {
    static func normalized(_ listing: String) -> String {
        var blocks: [[String]] = []
        var current: [String]? = nil
        var header: [String] = []
        for line in listing.split(separator: "\n", omittingEmptySubsequences: true).map(String.init) {
            if line.hasPrefix("\tset ") || line.hasPrefix("\tmap ") || line.hasPrefix("\tchain ") {
                current = [line]
            } else if line == "\t}", var block = current {
                block.append(line)
                blocks.append(sortElements(block))
                current = nil
            } else if current != nil {
                current!.append(line)
            } else {
                header.append(line)
            }
        }
        let sorted = blocks.sorted { $0[0] < $1[0] }
        return (header + sorted.flatMap { $0 }).joined(separator: "\n")
    }

    private static func sortElements(_ block: [String]) -> [String] {
        var result: [String] = []
        var elements: [String]? = nil
        for line in block {
            let trimmed = line.trimmingWhitespace
            if trimmed.hasPrefix("elements = {") {
                elements = []
                let rest = String(trimmed.dropFirst("elements = {".count))
                if append(rest, to: &elements) { result.append("elements = " + elements!.sorted().joined(separator: ", ")); elements = nil }
            } else if elements != nil {
                if append(trimmed, to: &elements) { result.append("elements = " + elements!.sorted().joined(separator: ", ")); elements = nil }
            } else {
                result.append(line)
            }
        }
        return result
    }

    /// Adds the comma-separated items of one line; true when the closing brace was seen.
    private static func append(_ text: String, to elements: inout [String]?) -> Bool {
        var body = text
        let closes = body.hasSuffix("}")
        if closes { body.removeLast() }
        elements! += body.split(separator: ",").map { $0.trimmingWhitespace }.filter { !$0.isEmpty }
        return closes
    }
}

import ServiceModel
