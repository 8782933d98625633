import Foundation

/// Writes ``JSONValue`` as JSON text in key order, keeping non-ASCII characters as they are
/// (like the seed's `json.dumps(..., ensure_ascii=False)`).
public enum JSONWriter {
    /// Compact JSON: `{"a":1,"b":[true,null]}`.
    public static func string(from value: JSONValue) -> String {
        var out = ""
        write(value, into: &out, indent: nil, level: 0)
        return out
    }

    /// Indented JSON (two spaces per level, `"key": value`), as the seed's FileIO writes it.
    public static func prettyString(from value: JSONValue, indent: Int = 2) -> String {
        var out = ""
        write(value, into: &out, indent: indent, level: 0)
        return out
    }

    public static func data(from value: JSONValue, pretty: Bool = false) -> Data {
        Data((pretty ? prettyString(from: value) : string(from: value)).utf8)
    }

    private static func write(_ value: JSONValue, into out: inout String, indent: Int?, level: Int) {
        switch value {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .double(let d): out += format(d)
        case .string(let s): writeString(s, into: &out)
        case .array(let a):
            if a.isEmpty {
                out += "[]"
                return
            }
            out += "["
            for (i, element) in a.enumerated() {
                if i > 0 { out += "," }
                newline(&out, indent: indent, level: level + 1)
                write(element, into: &out, indent: indent, level: level + 1)
            }
            newline(&out, indent: indent, level: level)
            out += "]"
        case .object(let o):
            if o.isEmpty {
                out += "{}"
                return
            }
            out += "{"
            var first = true
            for (key, element) in o {
                if !first { out += "," }
                first = false
                newline(&out, indent: indent, level: level + 1)
                writeString(key, into: &out)
                out += indent == nil ? ":" : ": "
                write(element, into: &out, indent: indent, level: level + 1)
            }
            newline(&out, indent: indent, level: level)
            out += "}"
        }
    }

    private static func newline(_ out: inout String, indent: Int?, level: Int) {
        guard let indent else { return }
        out += "\n"
        out += String(repeating: " ", count: indent * level)
    }

    /// Doubles as the shortest text that reads back to the same value; JSON has no NaN or
    /// infinity, so those become `null`.
    static func format(_ d: Double) -> String {
        guard d.isFinite else { return "null" }
        return d.description
    }

    /// Appends `s` as a JSON string literal, as Python writes it with `ensure_ascii=False`:
    /// quote, backslash and control characters escaped, everything else kept as it is.
    public static func writeString(_ s: String, into out: inout String) {
        out += "\""
        var needsEscape = false
        for b in s.utf8 where b < 0x20 || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") {
            needsEscape = true
            break
        }
        if !needsEscape {
            out += s
            out += "\""
            return
        }
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            default:
                if scalar.value < 0x20 {
                    out += String(format: "\\u%04x", scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }
}

extension JSONValue {
    /// The text Python's `str()` gives for the same value (`True`, `None`, `{'a': 1}`), for the
    /// places where the seed formatted values that way: `Kt` messages and TXT files.
    public var pythonDescription: String {
        switch self {
        case .string(let s): return s
        default: return pythonRepr
        }
    }

    /// Python's `repr()` of the equivalent value.
    public var pythonRepr: String {
        switch self {
        case .null: return "None"
        case .bool(let b): return b ? "True" : "False"
        case .int(let i): return String(i)
        case .double(let d):
            if d.isNaN { return "nan" }
            if d.isInfinite { return d < 0 ? "-inf" : "inf" }
            return d.description
        case .string(let s): return Self.pythonQuote(s)
        case .array(let a): return "[" + a.map(\.pythonRepr).joined(separator: ", ") + "]"
        case .object(let o):
            return "{" + o.map { "\(Self.pythonQuote($0.key)): \($0.value.pythonRepr)" }.joined(separator: ", ") + "}"
        }
    }

    private static func pythonQuote(_ s: String) -> String {
        let quote: Character = s.contains("'") && !s.contains("\"") ? "\"" : "'"
        var out = String(quote)
        for ch in s {
            switch ch {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case quote: out += "\\\(quote)"
            default: out.append(ch)
            }
        }
        out.append(quote)
        return out
    }
}
