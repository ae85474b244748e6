/// The lines of a restore input (`iptables-restore`, `ipset restore`) around the one a tool refused, numbered, the
/// refused line marked with `>`: what an error report quotes so that an operator sees the offending command.
enum RestoreInputContext {
    /// The lines `line - radius … line + radius` of `text` (1-based, as the tools count), as
    /// `"> 12: add PROXYD-CLUSTER-IP …"` for the refused line and `"  11: …"` for the others.
    static func lines(of text: String, around line: Int, radius: Int = 3) -> String {
        var result: [String] = []
        var number = 0
        for text in text.split(separator: "\n", omittingEmptySubsequences: false) {
            number += 1
            if number > line + radius { break }
            if number >= line - radius {
                result.append("\(number == line ? ">" : " ") \(number): \(text)")
            }
        }
        return result.joined(separator: "\n")
    }
}
