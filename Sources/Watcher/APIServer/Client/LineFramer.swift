import Foundation

/// Splits a watch stream into its newline-delimited JSON lines, whatever the chunk boundaries: a line may arrive
/// in several chunks, and one chunk may hold many lines.
public struct LineFramer: Sendable {
    private var buffer = [UInt8]()
    /// A line longer than this is an error (a broken stream), not a reason to use unbounded memory.
    public var maximumLineLength: Int

    public init(maximumLineLength: Int = 64 << 20) { self.maximumLineLength = maximumLineLength }

    /// The complete lines that `chunk` finishes (without their newline; blank lines dropped).
    public mutating func append(_ chunk: Data) throws(APIServerError) -> [Data] {
        var lines: [Data] = []
        var scanFrom = buffer.count
        buffer.append(contentsOf: chunk)
        var lineStart = 0
        while let newline = buffer[scanFrom...].firstIndex(of: 0x0A) {
            var end = newline
            if end > lineStart, buffer[end - 1] == 0x0D { end -= 1 }
            if end > lineStart { lines.append(Data(buffer[lineStart..<end])) }
            lineStart = newline + 1
            scanFrom = lineStart
        }
        if lineStart > 0 { buffer.removeFirst(lineStart) }
        if buffer.count > maximumLineLength {
            throw APIServerError(.decoding, "a watch event is longer than \(maximumLineLength) bytes")
        }
        return lines
    }

    /// Bytes of an unfinished line (a stream that ends here was cut mid-event).
    public var pendingByteCount: Int { buffer.count }
}
