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

    static func parse(_ text: String) throws(ReferenceSyntaxError) -> [TemplatePart] {
        var parts: [TemplatePart] = []
        var buffer = ""
        var i = text.startIndex
        while i < text.endIndex {
            let rest = text[i...]
            if rest.hasPrefix("$${") {
                buffer += "${"
                i = text.index(i, offsetBy: 3)
            } else if rest.hasPrefix("${") {
                let open = text.index(i, offsetBy: 2)
                guard let close = text[open...].firstIndex(of: "}") else {
                    throw ReferenceSyntaxError(
                        text: String(text[open...]), message: "is not closed: '${' needs a matching '}' (write $${ for a literal ${)")
                }
                var body = text[open..<close].trimmingCharacters(in: .whitespaces)
                if body.hasPrefix("@") { body.removeFirst() }
                if !buffer.isEmpty {
                    parts.append(.text(buffer))
                    buffer = ""
                }
                parts.append(.reference(try Reference(parsing: body)))
                i = text.index(after: close)
            } else {
                buffer.append(text[i])
                i = text.index(after: i)
            }
        }
        if !buffer.isEmpty { parts.append(.text(buffer)) }
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
