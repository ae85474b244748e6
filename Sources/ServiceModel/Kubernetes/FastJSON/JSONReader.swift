/// A minimal pull reader over JSON bytes: reads exactly the values the caller asks for and skips the rest
/// without building them. Used by the fast decoding path; anything unexpected throws `JSONReader.Mismatch`
/// and the caller falls back to `Codable`, which explains the problem with a field path.
///
/// - Important: Objects and arrays nest at most `maximumDepth` deep, as in Foundation's decoders (which the
///   fast path must agree with); deeper input throws `Mismatch` with reason `.tooDeep`. Skipping a value never
///   recurses, so no input can exhaust the stack.
struct JSONReader {
    let bytes: UnsafeBufferPointer<UInt8>
    private(set) var position: Int
    /// Objects and arrays open around `position`.
    private(set) var depth = 0

    /// Foundation's `JSONSerialization` and `JSONDecoder` refuse deeper nesting too.
    static let maximumDepth = 512

    /// Why and where reading stopped. The offset makes a syntax error reportable with its line and column
    /// (`JSONSyntaxError`), computed only when an error is reported.
    struct Mismatch: Error {
        enum Reason: UInt8 {
            /// Not what the caller expected: a syntax error, or valid JSON of another shape.
            case unexpected
            /// Objects and arrays nested deeper than the limit.
            case tooDeep
        }

        var reason: Reason
        /// The byte offset where reading stopped; nil when a caller gave up on a value it read successfully.
        var offset: Int?

        init() {
            reason = .unexpected
            offset = nil
        }

        init(_ reason: Reason = .unexpected, at offset: Int) {
            self.reason = reason
            self.offset = offset
        }
    }

    init(_ bytes: UnsafeBufferPointer<UInt8>, position: Int = 0) {
        self.bytes = bytes
        self.position = position
    }

    var isAtEnd: Bool { position >= bytes.count }

    mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x0A, 0x0D, 0x09: position += 1
            default: return
            }
        }
    }

    mutating func peek() throws(Mismatch) -> UInt8 {
        skipWhitespace()
        guard position < bytes.count else { throw Mismatch(at: position) }
        return bytes[position]
    }

    mutating func expect(_ byte: UInt8) throws(Mismatch) {
        guard try peek() == byte else { throw Mismatch(at: position) }
        position += 1
    }

    /// Opens an object or array at `position`: one level deeper, within `limit`.
    @inline(__always)
    private mutating func enter(limit: Int) throws(Mismatch) {
        guard depth < limit else { throw Mismatch(.tooDeep, at: position) }
        depth += 1
        position += 1
    }

    /// True and consumed when the next value is `null`.
    mutating func consumeNull() throws(Mismatch) -> Bool {
        guard try peek() == UInt8(ascii: "n") else { return false }
        try literal("null")
        return true
    }

    private mutating func literal(_ text: StaticString) throws(Mismatch) {
        let count = text.utf8CodeUnitCount
        for index in 0..<count where position + index >= bytes.count || bytes[position + index] != text.utf8Start[index] {
            throw Mismatch(at: position + index)
        }
        position += count
    }

    /// Iterates an object's members: `body` receives each key (as raw bytes, escapes not decoded; keys with
    /// escapes are rare and compared as written) and must consume its value.
    mutating func readObject(_ body: (inout JSONReader, UnsafeBufferPointer<UInt8>) throws(Mismatch) -> Void) throws(Mismatch) {
        guard try peek() == UInt8(ascii: "{") else { throw Mismatch(at: position) }
        try enter(limit: Self.maximumDepth)
        if try peek() == UInt8(ascii: "}") {
            position += 1
            depth -= 1
            return
        }
        while true {
            let key = try rawString()
            try expect(UInt8(ascii: ":"))
            try body(&self, key)
            switch try peek() {
            case UInt8(ascii: ","): position += 1
            case UInt8(ascii: "}"):
                position += 1
                depth -= 1
                return
            default: throw Mismatch(at: position)
            }
        }
    }

    /// Iterates an array's elements; `body` must consume each element.
    mutating func readArray(_ body: (inout JSONReader) throws(Mismatch) -> Void) throws(Mismatch) {
        guard try peek() == UInt8(ascii: "[") else { throw Mismatch(at: position) }
        try enter(limit: Self.maximumDepth)
        if try peek() == UInt8(ascii: "]") {
            position += 1
            depth -= 1
            return
        }
        while true {
            try body(&self)
            switch try peek() {
            case UInt8(ascii: ","): position += 1
            case UInt8(ascii: "]"):
                position += 1
                depth -= 1
                return
            default: throw Mismatch(at: position)
            }
        }
    }

    /// The bytes between the quotes of a string, escapes left as written.
    mutating func rawString() throws(Mismatch) -> UnsafeBufferPointer<UInt8> {
        try expect(UInt8(ascii: "\""))
        let start = position
        while position < bytes.count {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                let slice = UnsafeBufferPointer(rebasing: bytes[start..<position])
                position += 1
                return slice
            }
            if byte < 0x20 { throw Mismatch(at: position) }  // JSON forbids raw control characters in strings
            if byte == UInt8(ascii: "\\") {
                try skipEscape()
            } else {
                position += 1
            }
        }
        throw Mismatch(at: position)
    }

    /// Steps over one escape sequence (`\n`, `\u00e9`) inside a string, checking it is one JSON allows.
    private mutating func skipEscape() throws(Mismatch) {
        guard position + 1 < bytes.count else { throw Mismatch(at: bytes.count) }
        switch bytes[position + 1] {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
            UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
            position += 2
        case UInt8(ascii: "u"):
            for offset in 2..<6 {
                guard position + offset < bytes.count, bytes[position + offset].isHexDigit else {
                    throw Mismatch(at: position)
                }
            }
            position += 6
        default:
            throw Mismatch(at: position)
        }
    }

    mutating func string() throws(Mismatch) -> String {
        let raw = try rawString()
        if !raw.contains(UInt8(ascii: "\\")) {
            return String(decoding: raw, as: UTF8.self)
        }
        return try Self.unescape(raw)
    }

    mutating func optionalString() throws(Mismatch) -> String? {
        try consumeNull() ? nil : try string()
    }

    mutating func bool() throws(Mismatch) -> Bool {
        switch try peek() {
        case UInt8(ascii: "t"):
            try literal("true")
            return true
        case UInt8(ascii: "f"):
            try literal("false")
            return false
        default:
            throw Mismatch(at: position)
        }
    }

    mutating func optionalBool() throws(Mismatch) -> Bool? {
        try consumeNull() ? nil : try bool()
    }

    /// An integer (no fraction or exponent: those take the Codable path).
    mutating func int() throws(Mismatch) -> Int {
        _ = try peek()
        var negative = false
        if bytes[position] == UInt8(ascii: "-") {
            negative = true
            position += 1
        }
        var value = 0
        var digits = 0
        while position < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[position]) {
            let (multiplied, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (added, overflow2) = multiplied.addingReportingOverflow(Int(bytes[position] - UInt8(ascii: "0")))
            guard !overflow1, !overflow2 else { throw Mismatch(at: position) }
            value = added
            digits += 1
            position += 1
        }
        guard digits > 0 else { throw Mismatch(at: position) }
        // Leading zeros are not JSON; fractions and exponents take the Codable path.
        if digits > 1 && bytes[position - digits] == UInt8(ascii: "0") { throw Mismatch(at: position - digits) }
        if position < bytes.count, [UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E")].contains(bytes[position]) {
            throw Mismatch(at: position)
        }
        return negative ? -value : value
    }

    mutating func optionalInt() throws(Mismatch) -> Int? {
        try consumeNull() ? nil : try int()
    }

    mutating func stringArray() throws(Mismatch) -> [String] {
        var result: [String] = []
        try readArray { reader throws(Mismatch) in result.append(try reader.string()) }
        return result
    }

    mutating func optionalStringArray() throws(Mismatch) -> [String]? {
        try consumeNull() ? nil : try stringArray()
    }

    mutating func stringMap() throws(Mismatch) -> [String: String] {
        var result: [String: String] = [:]
        try readObject { reader, key throws(Mismatch) in
            result[try Self.keyString(key)] = try reader.string()
        }
        return result
    }

    mutating func optionalStringMap() throws(Mismatch) -> [String: String]? {
        try consumeNull() ? nil : try stringMap()
    }

    /// Skips any value, checking its syntax as strictly as Foundation does, with objects and arrays nested at
    /// most `maximumDepth` deep in all (counting those the reader is inside).
    ///
    /// Iterative, not recursive: the stack does not grow with the input's nesting, whatever `limit` is.
    mutating func skipValue(maximumDepth limit: Int = JSONReader.maximumDepth) throws(Mismatch) {
        var open = ContainerStack()
        value: while true {
            switch try peek() {
            case UInt8(ascii: "{"):
                try enter(limit: limit)
                if try peek() == UInt8(ascii: "}") {
                    position += 1
                    depth -= 1
                } else {
                    open.push(isObject: true)
                    _ = try rawString()
                    try expect(UInt8(ascii: ":"))
                    continue value
                }
            case UInt8(ascii: "["):
                try enter(limit: limit)
                if try peek() == UInt8(ascii: "]") {
                    position += 1
                    depth -= 1
                } else {
                    open.push(isObject: false)
                    continue value
                }
            case UInt8(ascii: "\""): _ = try rawString()
            case UInt8(ascii: "t"), UInt8(ascii: "f"): _ = try bool()
            case UInt8(ascii: "n"): try literal("null")
            default: try skipNumber()
            }
            // A value ended: close the containers that end here, then go on after a comma.
            while !open.isEmpty {
                let byte = try peek()
                if byte == UInt8(ascii: ",") {
                    position += 1
                    if open.topIsObject {
                        _ = try rawString()
                        try expect(UInt8(ascii: ":"))
                    }
                    continue value
                }
                guard byte == (open.topIsObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) else { throw Mismatch(at: position) }
                position += 1
                depth -= 1
                open.pop()
            }
            return
        }
    }

    /// Skips a number, accepting exactly JSON's grammar: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
    private mutating func skipNumber() throws(Mismatch) {
        func digits(_ reader: inout JSONReader) -> Int {
            var count = 0
            while reader.position < reader.bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(reader.bytes[reader.position]) {
                reader.position += 1
                count += 1
            }
            return count
        }
        if position < bytes.count, bytes[position] == UInt8(ascii: "-") { position += 1 }
        guard position < bytes.count else { throw Mismatch(at: position) }
        if bytes[position] == UInt8(ascii: "0") {
            position += 1
        } else if digits(&self) == 0 {
            throw Mismatch(at: position)
        }
        if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
            position += 1
            guard digits(&self) > 0 else { throw Mismatch(at: position) }
        }
        if position < bytes.count, bytes[position] == UInt8(ascii: "e") || bytes[position] == UInt8(ascii: "E") {
            position += 1
            if position < bytes.count, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") { position += 1 }
            guard digits(&self) > 0 else { throw Mismatch(at: position) }
        }
    }

    static func keyString(_ raw: UnsafeBufferPointer<UInt8>) throws(Mismatch) -> String {
        raw.contains(UInt8(ascii: "\\")) ? try unescape(raw) : String(decoding: raw, as: UTF8.self)
    }

    /// Decodes JSON string escapes (`\n`, `\"`, `\u00e9`, surrogate pairs).
    static func unescape(_ raw: UnsafeBufferPointer<UInt8>) throws(Mismatch) -> String {
        var scalars = String.UnicodeScalarView()
        var utf8: [UInt8] = []
        var index = 0
        func flush() {
            if !utf8.isEmpty {
                scalars.append(contentsOf: String(decoding: utf8, as: UTF8.self).unicodeScalars)
                utf8.removeAll()
            }
        }
        func hex4(_ at: Int) throws(Mismatch) -> UInt32 {
            guard at + 4 <= raw.count else { throw Mismatch() }
            var value: UInt32 = 0
            for offset in 0..<4 {
                let byte = raw[at + offset]
                let digit: UInt32
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
                default: throw Mismatch()
                }
                value = value << 4 | digit
            }
            return value
        }
        while index < raw.count {
            let byte = raw[index]
            guard byte == UInt8(ascii: "\\") else {
                utf8.append(byte)
                index += 1
                continue
            }
            guard index + 1 < raw.count else { throw Mismatch() }
            let escaped = raw[index + 1]
            index += 2
            switch escaped {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(escaped)
            case UInt8(ascii: "b"): utf8.append(0x08)
            case UInt8(ascii: "f"): utf8.append(0x0C)
            case UInt8(ascii: "n"): utf8.append(0x0A)
            case UInt8(ascii: "r"): utf8.append(0x0D)
            case UInt8(ascii: "t"): utf8.append(0x09)
            case UInt8(ascii: "u"):
                var code = try hex4(index)
                index += 4
                if (0xD800...0xDBFF).contains(code) {
                    guard index + 6 <= raw.count, raw[index] == UInt8(ascii: "\\"), raw[index + 1] == UInt8(ascii: "u") else {
                        throw Mismatch()
                    }
                    let low = try hex4(index + 2)
                    guard (0xDC00...0xDFFF).contains(low) else { throw Mismatch() }
                    index += 6
                    code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                }
                guard let scalar = Unicode.Scalar(code) else { throw Mismatch() }
                flush()
                scalars.append(scalar)
            default:
                throw Mismatch()
            }
        }
        flush()
        return String(scalars)
    }
}

/// The kinds of the containers a skip is inside, innermost last: one bit each, inline for the first 64 levels.
private struct ContainerStack {
    private var low: UInt64 = 0
    private var high: [Bool] = []
    private(set) var count = 0

    var isEmpty: Bool { count == 0 }

    var topIsObject: Bool { count <= 64 ? low & (1 << UInt64(count - 1)) != 0 : high[count - 65] }

    mutating func push(isObject: Bool) {
        if count < 64 {
            if isObject { low |= 1 << UInt64(count) } else { low &= ~(1 << UInt64(count)) }
        } else {
            high.append(isObject)
        }
        count += 1
    }

    mutating func pop() {
        count -= 1
        if count >= 64 { high.removeLast() }
    }
}

extension UInt8 {
    fileprivate var isHexDigit: Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(self) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(self)
            || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(self)
    }
}

extension UnsafeBufferPointer<UInt8> {
    /// Compares raw key bytes with a static key.
    @inline(__always)
    func equals(_ text: StaticString) -> Bool {
        guard count == text.utf8CodeUnitCount else { return false }
        let other = text.utf8Start
        for index in 0..<count where self[index] != other[index] { return false }
        return true
    }
}
