import Foundation

/// An HTTP response as `curl -s -i` prints it: the last status line (after any `100 Continue`), headers
/// (lower-cased names) and body.
struct HTTPReply: Sendable {
    var status: Int
    var headers: [String: String]
    var body: String

    init(status: Int, headers: [String: String], body: String) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    init(curlOutput: String) {
        let normalized = curlOutput.replacingOccurrences(of: "\r\n", with: "\n")
        var rest = Substring(normalized)
        var head = Substring("")
        var body = Substring("")
        repeat {
            if let blank = rest.range(of: "\n\n") {
                (head, body) = (rest[..<blank.lowerBound], rest[blank.upperBound...])
            } else {
                (head, body) = (rest, "")
            }
            rest = body
        } while head.hasPrefix("HTTP/1.1 100")
        let lines = head.split(separator: "\n")
        let statusLine = lines.first.map(String.init) ?? ""
        status = statusLine.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].lowercased()
            headers[name] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        self.headers = headers
        self.body = String(body)
    }
}
