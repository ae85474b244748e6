/// A plain-text table whose cells may hold several lines, padded to column width.
struct TextTable {
    var headers: [String]
    var rows: [[[String]]] = []

    init(headers: [String]) { self.headers = headers }

    mutating func append(_ cells: [[String]]) { rows.append(cells) }

    func render(separator: String = "  ") -> String {
        var widths = headers.map(\.count)
        for row in rows {
            for (column, cell) in row.enumerated() {
                widths[column] = max(widths[column], cell.map(\.count).max() ?? 0)
            }
        }
        func line(_ parts: [String]) -> String {
            var text = ""
            for (column, part) in parts.enumerated() {
                if column == parts.count - 1 {
                    text += part
                } else {
                    text += part.padding(to: widths[column]) + separator
                }
            }
            while text.hasSuffix(" ") { text.removeLast() }
            return text
        }
        var out = [line(headers), line(widths.map { String(repeating: "-", count: $0) })]
        for (rowIndex, row) in rows.enumerated() {
            let height = row.map(\.count).max() ?? 0
            // Rows of several lines are separated by a blank line so that each reads as one unit.
            if rowIndex > 0, height > 1 || rows[rowIndex - 1].map(\.count).max() ?? 0 > 1 { out.append("") }
            for index in 0..<max(height, 1) {
                out.append(line(row.map { index < $0.count ? $0[index] : "" }))
            }
        }
        return out.joined(separator: "\n")
    }
}

extension String {
    func padding(to width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
