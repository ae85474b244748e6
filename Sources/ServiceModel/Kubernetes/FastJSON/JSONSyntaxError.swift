import Foundation

/// Where and why bytes are not JSON, in the terms an operator can look up in the file:
/// `line 3, column 14: unexpected character 'x'`.
///
/// Foundation's `JSONDecoder` on Linux says only "The given data was not valid JSON." and `JSONSerialization`
/// counts characters from the start; this finds the place with the fast path's reader, and only when an error
/// is reported, so valid input pays nothing for it.
public struct JSONSyntaxError: Error, Sendable, Hashable, CustomStringConvertible {
    /// 1-based.
    public var line: Int
    /// 1-based, in characters (Unicode scalars) from the start of the line.
    public var column: Int
    public var message: String

    public init(line: Int, column: Int, message: String) {
        self.line = line
        self.column = column
        self.message = message
    }

    public var description: String { "line \(line), column \(column): \(message)" }

    /// The first syntax error of `data` read as one JSON value — strictly, as Foundation reads it, with objects and
    /// arrays nested at most 512 deep — or nil when it is valid JSON.
    public static func find(in data: Data) -> JSONSyntaxError? {
        data.withUnsafeBytes { raw -> JSONSyntaxError? in
            let bytes = raw.bindMemory(to: UInt8.self)
            if let offset = firstInvalidUTF8(bytes) {
                return JSONSyntaxError(at: offset, in: bytes, message: "invalid UTF-8")
            }
            var reader = JSONReader(bytes)
            do throws(JSONReader.Mismatch) {
                try reader.skipValue()
                reader.skipWhitespace()
                guard reader.isAtEnd else {
                    return JSONSyntaxError(at: reader.position, in: bytes, message: "unexpected data after the JSON value")
                }
                return nil
            } catch {
                return JSONSyntaxError(error, in: bytes)
            }
        }
    }

    /// The error `mismatch` stands for, located in `bytes` (the offset is where the reader stopped).
    init(_ mismatch: JSONReader.Mismatch, in bytes: UnsafeBufferPointer<UInt8>) {
        let offset = min(mismatch.offset ?? bytes.count, bytes.count)
        let message: String
        if mismatch.reason == .tooDeep {
            message = "objects and arrays nested more than \(JSONReader.maximumDepth) deep"
        } else if offset == bytes.count {
            message = "unexpected end of input"
        } else {
            message = "unexpected \(Self.describe(bytes, at: offset))"
        }
        self.init(at: offset, in: bytes, message: message)
    }

    init(at offset: Int, in bytes: UnsafeBufferPointer<UInt8>, message: String) {
        var line = 1
        var lineStart = 0
        for index in 0..<offset where bytes[index] == 0x0A {
            line += 1
            lineStart = index + 1
        }
        // Count characters, not bytes: UTF-8 continuation bytes (10xxxxxx) do not start one.
        var column = 1
        for index in lineStart..<offset where bytes[index] & 0xC0 != 0x80 { column += 1 }
        self.init(line: line, column: column, message: message)
    }

    private static func describe(_ bytes: UnsafeBufferPointer<UInt8>, at offset: Int) -> String {
        let byte = bytes[offset]
        if byte < 0x20 || byte == 0x7F { return String(format: "control character U+%04X", UInt32(byte)) }
        if byte < 0x80 { return "character '\(Character(Unicode.Scalar(byte)))'" }
        var iterator = bytes[offset...].makeIterator()
        var parser = Unicode.UTF8.ForwardParser()
        if case .valid(let encoded) = parser.parseScalar(from: &iterator) {
            let scalar = Unicode.UTF8.decode(encoded)
            return "character '\(scalar)' (U+\(String(scalar.value, radix: 16, uppercase: true)))"
        }
        return String(format: "byte 0x%02X", UInt32(byte))
    }

    private static func firstInvalidUTF8(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        var iterator = bytes.makeIterator()
        var parser = Unicode.UTF8.ForwardParser()
        var offset = 0
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let encoded): offset += encoded.count
            case .error: return offset
            case .emptyInput: return nil
            }
        }
    }
}
