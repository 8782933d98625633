import Foundation

/// A JSON syntax error with the line and column where parsing stopped.
public struct JSONParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public var line: Int
    public var column: Int
    public var message: String

    public var description: String { "line \(line), column \(column): \(message)" }
}

/// Parses JSON (and, on request, JSON5) into ``JSONValue`` keeping object key order.
///
/// Foundation's decoders either lose key order or, on Linux, reject JSON5; the seed's documents
/// and configuration depend on both, so the engine reads text itself.
public struct JSONParser {
    /// Accept JSON5: comments, trailing commas, single-quoted strings, unquoted keys, hex numbers,
    /// `Infinity`/`NaN`, leading `+` and `.5`.
    public var allowsJSON5: Bool

    public init(allowsJSON5: Bool = false) {
        self.allowsJSON5 = allowsJSON5
    }

    public func parse(_ text: String) throws(JSONParseError) -> JSONValue {
        var text = text
        let result = text.withUTF8 { buffer in
            var reader = Reader(bytes: buffer, json5: allowsJSON5)
            return Result { () throws(JSONParseError) in try reader.parseDocument() }
        }
        return try result.get()
    }

    public func parse(_ data: Data) throws(JSONParseError) -> JSONValue {
        guard let text = String(data: data, encoding: .utf8) else {
            throw JSONParseError(line: 1, column: 1, message: "the text is not valid UTF-8")
        }
        return try parse(text)
    }

    /// Parses strict JSON.
    public static func parse(_ text: String) throws(JSONParseError) -> JSONValue {
        try JSONParser().parse(text)
    }
}

private struct Reader {
    let bytes: UnsafeBufferPointer<UInt8>
    let json5: Bool
    var index = 0
    var depth = 0

    init(bytes: UnsafeBufferPointer<UInt8>, json5: Bool) {
        self.bytes = bytes
        self.json5 = json5
    }

    mutating func parseDocument() throws(JSONParseError) -> JSONValue {
        // A UTF-8 byte order mark is tolerated, as Python's json5 and most editors do.
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { index = 3 }
        try skipWhitespace()
        guard index < bytes.count else { throw error("the document is empty") }
        let value = try parseValue()
        try skipWhitespace()
        if index < bytes.count { throw error("unexpected \(describeCurrent()) after the end of the value") }
        return value
    }

    func error(_ message: String, at position: Int? = nil) -> JSONParseError {
        let end = min(position ?? index, bytes.count)
        var line = 1
        var column = 1
        var i = 0
        while i < end {
            if bytes[i] == UInt8(ascii: "\n") {
                line += 1
                column = 1
            } else if bytes[i] & 0xC0 != 0x80 {
                column += 1
            }
            i += 1
        }
        return JSONParseError(line: line, column: column, message: message)
    }

    func describeCurrent() -> String {
        guard index < bytes.count else { return "end of text" }
        let b = bytes[index]
        if b >= 0x20 && b < 0x7F { return "'\(Character(Unicode.Scalar(b)))'" }
        return "byte 0x\(String(b, radix: 16))"
    }

    mutating func skipWhitespace() throws(JSONParseError) {
        while index < bytes.count {
            let b = bytes[index]
            switch b {
            case 0x20, 0x0A, 0x0D, 0x09:
                index += 1
            case UInt8(ascii: "/") where json5 && index + 1 < bytes.count:
                if bytes[index + 1] == UInt8(ascii: "/") {
                    index += 2
                    while index < bytes.count, bytes[index] != 0x0A { index += 1 }
                } else if bytes[index + 1] == UInt8(ascii: "*") {
                    let start = index
                    index += 2
                    while true {
                        guard index + 1 < bytes.count else { throw error("unterminated comment", at: start) }
                        if bytes[index] == UInt8(ascii: "*"), bytes[index + 1] == UInt8(ascii: "/") {
                            index += 2
                            break
                        }
                        index += 1
                    }
                } else {
                    return
                }
            case 0x0B where json5, 0x0C where json5:
                index += 1
            case 0xC2 where json5 && index + 1 < bytes.count && bytes[index + 1] == 0xA0:
                index += 2
            default:
                return
            }
        }
    }

    mutating func parseValue() throws(JSONParseError) -> JSONValue {
        guard index < bytes.count else { throw error("expected a value, found the end of the text") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "'") where json5: return .string(try parseString())
        case UInt8(ascii: "t"):
            try expectWord("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try expectWord("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try expectWord("null")
            return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return try parseNumber()
        case UInt8(ascii: "+"), UInt8(ascii: "."), UInt8(ascii: "I"), UInt8(ascii: "N"):
            if json5 { return try parseNumber() }
            throw error("unexpected \(describeCurrent()); expected a value")
        default:
            throw error("unexpected \(describeCurrent()); expected a value")
        }
    }

    mutating func expectWord(_ word: StaticString) throws(JSONParseError) {
        let start = index
        let count = word.utf8CodeUnitCount
        let matches = word.withUTF8Buffer { w in
            guard index + count <= bytes.count else { return false }
            for i in 0..<count where bytes[index + i] != w[i] { return false }
            return true
        }
        guard matches else { throw error("unexpected \(describeCurrent()); expected a value", at: start) }
        index += count
    }

    mutating func enter() throws(JSONParseError) {
        depth += 1
        if depth > 512 { throw error("the document nests deeper than 512 levels") }
    }

    mutating func parseObject() throws(JSONParseError) -> JSONValue {
        try enter()
        defer { depth -= 1 }
        index += 1
        var object = JSONObject()
        try skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
            index += 1
            return .object(object)
        }
        while true {
            try skipWhitespace()
            guard index < bytes.count else { throw error("unterminated object: expected '}'") }
            let key: String
            let b = bytes[index]
            if b == UInt8(ascii: "\"") || (json5 && b == UInt8(ascii: "'")) {
                key = try parseString()
            } else if json5 && b == UInt8(ascii: "}") {
                index += 1
                return .object(object)
            } else if json5, isIdentifierStart(b) {
                key = parseIdentifier()
            } else {
                throw error("expected a quoted key, found \(describeCurrent())")
            }
            try skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else {
                throw error("expected ':' after key \"\(key)\", found \(describeCurrent())")
            }
            index += 1
            try skipWhitespace()
            // Like Python's json module, a repeated key keeps its first position and its last value.
            object[key] = try parseValue()
            try skipWhitespace()
            guard index < bytes.count else { throw error("unterminated object: expected '}'") }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
                continue
            }
            if bytes[index] == UInt8(ascii: "}") {
                index += 1
                return .object(object)
            }
            throw error("expected ',' or '}' in object, found \(describeCurrent())")
        }
    }

    mutating func parseArray() throws(JSONParseError) -> JSONValue {
        try enter()
        defer { depth -= 1 }
        index += 1
        var array: [JSONValue] = []
        try skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
            index += 1
            return .array(array)
        }
        while true {
            try skipWhitespace()
            if json5, index < bytes.count, bytes[index] == UInt8(ascii: "]"), !array.isEmpty {
                index += 1
                return .array(array)
            }
            array.append(try parseValue())
            try skipWhitespace()
            guard index < bytes.count else { throw error("unterminated array: expected ']'") }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
                continue
            }
            if bytes[index] == UInt8(ascii: "]") {
                index += 1
                return .array(array)
            }
            throw error("expected ',' or ']' in array, found \(describeCurrent())")
        }
    }

    func isIdentifierStart(_ b: UInt8) -> Bool {
        (b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z")) || (b >= UInt8(ascii: "A") && b <= UInt8(ascii: "Z"))
            || b == UInt8(ascii: "_") || b == UInt8(ascii: "$") || b >= 0x80
    }

    mutating func parseIdentifier() -> String {
        let start = index
        while index < bytes.count {
            let b = bytes[index]
            if isIdentifierStart(b) || (b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9")) {
                index += 1
            } else {
                break
            }
        }
        return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
    }

    mutating func parseString() throws(JSONParseError) -> String {
        let quote = bytes[index]
        let start = index
        index += 1
        // Fast path: no escapes.
        var scan = index
        while scan < bytes.count {
            let b = bytes[scan]
            if b == quote {
                let s = String(decoding: UnsafeBufferPointer(rebasing: bytes[index..<scan]), as: UTF8.self)
                index = scan + 1
                return s
            }
            if b == UInt8(ascii: "\\") || b < 0x20 { break }
            scan += 1
        }
        var out: [UInt8] = []
        out.reserveCapacity(scan - index + 16)
        while true {
            guard index < bytes.count else { throw error("unterminated string", at: start) }
            let b = bytes[index]
            if b == quote {
                index += 1
                break
            }
            if b < 0x20 {
                if json5 && b == 0x0A { throw error("unescaped line break in string") }
                throw error("control character in string; escape it as \\u\(String(format: "%04x", b))")
            }
            if b != UInt8(ascii: "\\") {
                out.append(b)
                index += 1
                continue
            }
            index += 1
            guard index < bytes.count else { throw error("unterminated string", at: start) }
            let e = bytes[index]
            index += 1
            switch e {
            case UInt8(ascii: "\""): out.append(UInt8(ascii: "\""))
            case UInt8(ascii: "\\"): out.append(UInt8(ascii: "\\"))
            case UInt8(ascii: "/"): out.append(UInt8(ascii: "/"))
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try parseHex4()
                if scalar >= 0xD800 && scalar < 0xDC00 {
                    // A high surrogate must be followed by a low one.
                    if index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") {
                        index += 2
                        let low = try parseHex4()
                        if low >= 0xDC00 && low < 0xE000 {
                            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        } else {
                            throw error("invalid Unicode surrogate pair")
                        }
                    } else {
                        throw error("lone Unicode surrogate \\u\(String(scalar, radix: 16))")
                    }
                }
                guard let u = Unicode.Scalar(scalar) else { throw error("invalid Unicode escape") }
                out.append(contentsOf: Array(String(Character(u)).utf8))
            case UInt8(ascii: "'") where json5: out.append(UInt8(ascii: "'"))
            case 0x0A where json5: break
            case UInt8(ascii: "v") where json5: out.append(0x0B)
            case UInt8(ascii: "0") where json5: out.append(0)
            default:
                throw error("invalid escape '\\\(Character(Unicode.Scalar(e)))' in string", at: index - 2)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    mutating func parseHex4() throws(JSONParseError) -> UInt32 {
        guard index + 4 <= bytes.count else { throw error("incomplete \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let digit = hexDigit(bytes[index]) else { throw error("invalid hex digit in \\u escape") }
            value = value << 4 | UInt32(digit)
            index += 1
        }
        return value
    }

    func hexDigit(_ b: UInt8) -> UInt8? {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): b - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): b - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): b - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    mutating func parseNumber() throws(JSONParseError) -> JSONValue {
        let start = index
        var negative = false
        if bytes[index] == UInt8(ascii: "-") {
            negative = true
            index += 1
        } else if json5 && bytes[index] == UInt8(ascii: "+") {
            index += 1
        }
        if json5, index < bytes.count {
            if bytes[index] == UInt8(ascii: "I") {
                try expectWord("Infinity")
                return .double(negative ? -.infinity : .infinity)
            }
            if bytes[index] == UInt8(ascii: "N") {
                try expectWord("NaN")
                return .double(.nan)
            }
            if bytes[index] == UInt8(ascii: "0"), index + 1 < bytes.count,
                bytes[index + 1] == UInt8(ascii: "x") || bytes[index + 1] == UInt8(ascii: "X")
            {
                index += 2
                var value = 0
                let digitsStart = index
                while index < bytes.count, let d = hexDigit(bytes[index]) {
                    let (m, o1) = value.multipliedReportingOverflow(by: 16)
                    let (a, o2) = m.addingReportingOverflow(Int(d))
                    if o1 || o2 { throw error("hex number is too large", at: start) }
                    value = a
                    index += 1
                }
                if index == digitsStart { throw error("expected hex digits after 0x", at: start) }
                return .int(negative ? -value : value)
            }
        }
        let intStart = index
        while index < bytes.count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") { index += 1 }
        let intDigits = index - intStart
        if intDigits == 0 && !(json5 && index < bytes.count && bytes[index] == UInt8(ascii: ".")) {
            throw error("invalid number: expected a digit", at: index)
        }
        if !json5 && intDigits > 1 && bytes[intStart] == UInt8(ascii: "0") {
            throw error("invalid number: leading zeros are not allowed", at: start)
        }
        var isInteger = true
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            isInteger = false
            index += 1
            let fracStart = index
            while index < bytes.count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") { index += 1 }
            if index == fracStart && !(json5 && intDigits > 0) {
                throw error("invalid number: expected a digit after '.'", at: index)
            }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            isInteger = false
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            let expStart = index
            while index < bytes.count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") { index += 1 }
            if index == expStart { throw error("invalid number: expected a digit in the exponent", at: index) }
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        if isInteger, let i = Int(text) { return .int(i) }
        let cleaned = text.hasPrefix("+") ? String(text.dropFirst()) : text
        guard let d = Double(cleaned) else { throw error("invalid number '\(text)'", at: start) }
        return .double(d)
    }
}
