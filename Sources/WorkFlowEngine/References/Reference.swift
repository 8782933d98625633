import Foundation

/// A parsed reference such as `@fetch.data[0].name`, `@var.env`, `@sys.ssh_key` or `@item.id`.
public struct Reference: Sendable, Hashable, CustomStringConvertible {
    /// What a reference starts from.
    public enum Root: Sendable, Hashable {
        /// A step's result, by step name.
        case step(String)
        /// The workflow's variables, overridden by run inputs (`@var`).
        case variables
        /// A system variable (`@sys.name`); the name is the first path component.
        case system
        /// The current `foreach` item (`@item`).
        case item
        /// The current `foreach` index (`@index`).
        case index
    }

    /// One step of a path: an object key or an array index.
    public enum Component: Sendable, Hashable {
        case key(String)
        case index(Int)
    }

    public var root: Root
    public var components: [Component]
    /// The raw text after the first `.`, which the seed looked up as one literal key (`@a.b.c` → key `b.c`).
    public var literalKey: String?
    /// The reference as written, without the leading `@`.
    public var text: String

    public var description: String { "@" + text }

    /// The step this reference reads from, if it reads a step result.
    public var stepName: String? {
        if case .step(let name) = root { return name }
        return nil
    }

    /// Parses the text after `@` (`fetch.data[0].name`).
    public init(parsing body: String) throws(ReferenceSyntaxError) {
        text = body
        guard !body.isEmpty else { throw ReferenceSyntaxError(text: body, message: "is empty; write @step or @step.key") }
        // The root name runs to the first '.' or '['; step names may contain spaces, as in the seed.
        let rootEnd = body.firstIndex { $0 == "." || $0 == "[" } ?? body.endIndex
        let rootName = String(body[..<rootEnd])
        guard !rootName.isEmpty else {
            throw ReferenceSyntaxError(text: body, message: "has no step name before '\(body.first!)'")
        }
        var rest = body[rootEnd...]
        if rest.first == "." {
            literalKey = String(rest.dropFirst())
            rest = rest.dropFirst()
            if rest.isEmpty { throw ReferenceSyntaxError(text: body, message: "ends with '.'") }
        } else {
            literalKey = nil
        }
        components = try Self.parsePath(rest, whole: body)
        switch rootName {
        case "var": root = .variables
        case "sys":
            root = .system
            guard case .key = components.first else {
                throw ReferenceSyntaxError(text: body, message: "needs a system variable name: @sys.name")
            }
        case "item": root = .item
        case "index": root = .index
        default: root = .step(rootName)
        }
    }

    private static func parsePath(_ path: Substring, whole: String) throws(ReferenceSyntaxError) -> [Component] {
        var components: [Component] = []
        var i = path.startIndex
        var segment = ""
        func flush() {
            guard !segment.isEmpty else { return }
            if let n = Int(segment) {
                components.append(.index(n))
            } else {
                components.append(.key(segment))
            }
            segment = ""
        }
        var expectSegment = !path.isEmpty && path.first != "["
        while i < path.endIndex {
            let c = path[i]
            if c == "." {
                if segment.isEmpty && expectSegment {
                    throw ReferenceSyntaxError(text: whole, message: "has an empty key between dots")
                }
                flush()
                expectSegment = true
                i = path.index(after: i)
            } else if c == "[" {
                flush()
                guard let close = path[i...].firstIndex(of: "]") else {
                    throw ReferenceSyntaxError(text: whole, message: "has '[' without a closing ']'")
                }
                let inner = path[path.index(after: i)..<close].trimmingCharacters(in: .whitespaces)
                if let n = Int(inner) {
                    components.append(.index(n))
                } else if inner.count >= 2, let q = inner.first, q == "'" || q == "\"", inner.last == q {
                    components.append(.key(String(inner.dropFirst().dropLast())))
                } else {
                    throw ReferenceSyntaxError(
                        text: whole, message: "has '[\(inner)]'; use a number such as [0] or a quoted key such as ['name']")
                }
                expectSegment = false
                i = path.index(after: close)
            } else {
                segment.append(c)
                expectSegment = false
                i = path.index(after: i)
            }
        }
        if expectSegment && segment.isEmpty && !path.isEmpty {
            throw ReferenceSyntaxError(text: whole, message: "ends with '.'")
        }
        flush()
        return components
    }

    /// The path written as text (`data[0].name`), for messages.
    static func pathText(_ components: some Collection<Component>) -> String {
        var out = ""
        for component in components {
            switch component {
            case .key(let k): out += out.isEmpty ? k : "." + k
            case .index(let n): out += "[\(n)]"
            }
        }
        return out
    }
}

/// A reference that cannot be parsed.
public struct ReferenceSyntaxError: Error, Sendable, Equatable, CustomStringConvertible {
    public var text: String
    public var message: String

    public var description: String { "reference @\(text) \(message)" }
}

/// A reference that could not be resolved; the message names it and what was available.
public struct ReferenceError: Error, Sendable, Equatable, CustomStringConvertible {
    public var reference: String
    public var message: String

    public init(reference: String, message: String) {
        self.reference = reference
        self.message = message
    }

    public var description: String { "\(reference): \(message)" }
}

extension Reference {
    /// Follows `components` from `value`. When `literalKey` names a key of `value` itself,
    /// that key wins, as the seed looked up everything after the first dot as one key.
    func walk(from value: JSONValue, rootDescription: String) throws(ReferenceError) -> JSONValue {
        if let literalKey, literalKey.containsBytes(".") || literalKey.containsBytes("["), case .object(let o) = value, let hit = o[literalKey] {
            return hit
        }
        var current = value
        var walked: [Component] = []
        for component in components {
            let here = walked.isEmpty ? rootDescription : "'\(Self.pathText(walked))' of \(rootDescription)"
            switch (current, component) {
            case (.object(let o), .key(let k)):
                guard let next = o[k] else {
                    throw ReferenceError(reference: description, message: "key '\(k)' not found in \(here) (\(Self.availableKeys(o)))")
                }
                current = next
            case (.object(let o), .index(let n)):
                guard let next = o[String(n)] else {
                    throw ReferenceError(reference: description, message: "key '\(n)' not found in \(here) (\(Self.availableKeys(o)))")
                }
                current = next
            case (.array(let a), .index(let n)):
                let i = n < 0 ? a.count + n : n
                guard a.indices.contains(i) else {
                    throw ReferenceError(
                        reference: description,
                        message: "index \(n) is out of range in \(here) (an array of \(a.count) item\(a.count == 1 ? "" : "s"))")
                }
                current = a[i]
            case (.array(let a), .key(let k)):
                throw ReferenceError(
                    reference: description,
                    message: "\(here) is an array of \(a.count) item\(a.count == 1 ? "" : "s"); use an index such as [0] instead of '\(k)'")
            case (_, let c):
                let name: String
                switch c {
                case .key(let k): name = "key '\(k)'"
                case .index(let n): name = "index \(n)"
                }
                throw ReferenceError(reference: description, message: "cannot look up \(name) in \(here), which is \(ParameterReader.describe(current))")
            }
            walked.append(component)
        }
        return current
    }

    static func availableKeys(_ o: JSONObject) -> String {
        if o.isEmpty { return "it is empty" }
        let keys = o.keys.prefix(20).joined(separator: ", ")
        return "available: " + keys + (o.count > 20 ? ", …" : "")
    }
}
