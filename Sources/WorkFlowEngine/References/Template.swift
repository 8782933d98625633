import Foundation

/// How a string parameter is read: a whole-value reference (`@step.key`), an escaped literal
/// (`@@x` → `@x`), a template with `${...}` interpolations, or plain text.
public enum StringForm: Sendable, Equatable {
    case literal(String)
    case reference(Reference)
    case template([TemplatePart])

    /// Classifies `text`. Strings that start with a single `@` are whole-value references, as in
    /// the seed; `${ref}` inside other strings is replaced by the referenced value (`$${` escapes).
    public init(parsing text: String) throws(ReferenceSyntaxError) {
        if text.hasPrefix("@@") {
            self = .literal(String(text.dropFirst()))
            return
        }
        if text.hasPrefix("@") {
            self = .reference(try Reference(parsing: String(text.dropFirst())))
            return
        }
        guard text.containsInterpolation else {
            self = .literal(text)
            return
        }
        self = .template(try TemplatePart.parse(text))
    }
}

/// A piece of an interpolated string.
public enum TemplatePart: Sendable, Equatable {
    case text(String)
    case reference(Reference)

    /// Splits text at `${...}` markers. Works on UTF-8 bytes: the markers are ASCII, and this
    /// runs for every interpolated parameter of every step.
    static func parse(_ text: String) throws(ReferenceSyntaxError) -> [TemplatePart] {
        let dollar = UInt8(ascii: "$")
        let open = UInt8(ascii: "{")
        let bytes = Array(text.utf8)
        var parts: [TemplatePart] = []
        var buffer: [UInt8] = []
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            if b == dollar, i + 2 < bytes.count, bytes[i + 1] == dollar, bytes[i + 2] == open {
                buffer += [dollar, open]
                i += 3
                continue
            }
            if b == dollar, i + 1 < bytes.count, bytes[i + 1] == open {
                guard let close = bytes[(i + 2)...].firstIndex(of: UInt8(ascii: "}")) else {
                    throw ReferenceSyntaxError(
                        text: String(decoding: bytes[(i + 2)...], as: UTF8.self),
                        message: "is not closed: '${' needs a matching '}' (write $${ for a literal ${)")
                }
                var start = i + 2
                var end = close
                while start < end, bytes[start] == 0x20 || bytes[start] == 0x09 { start += 1 }
                while end > start, bytes[end - 1] == 0x20 || bytes[end - 1] == 0x09 { end -= 1 }
                if start < end, bytes[start] == UInt8(ascii: "@") { start += 1 }
                if !buffer.isEmpty {
                    parts.append(.text(String(decoding: buffer, as: UTF8.self)))
                    buffer.removeAll(keepingCapacity: true)
                }
                parts.append(.reference(try Reference(parsing: String(decoding: bytes[start..<end], as: UTF8.self))))
                i = close + 1
                continue
            }
            buffer.append(b)
            i += 1
        }
        if !buffer.isEmpty { parts.append(.text(String(decoding: buffer, as: UTF8.self))) }
        return parts
    }
}

extension JSONValue {
    /// Every reference written in this value: whole-value references and `${...}` interpolations,
    /// searched recursively through objects and arrays.
    public func references() throws(ReferenceSyntaxError) -> [Reference] {
        var found: [Reference] = []
        try collectReferences(into: &found)
        return found
    }

    private func collectReferences(into found: inout [Reference]) throws(ReferenceSyntaxError) {
        switch self {
        case .string(let s):
            guard s.hasPrefix("@") || s.containsInterpolation else { return }
            switch try StringForm(parsing: s) {
            case .literal: break
            case .reference(let r): found.append(r)
            case .template(let parts):
                for case .reference(let r) in parts { found.append(r) }
            }
        case .array(let a):
            for v in a { try v.collectReferences(into: &found) }
        case .object(let o):
            for v in o.values { try v.collectReferences(into: &found) }
        default:
            break
        }
    }
}
