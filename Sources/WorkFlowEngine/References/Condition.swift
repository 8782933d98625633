import Foundation

/// A `when` condition: `@check.exit_code == 0`, `@a.count > 3 && @var.env != 'prod'`.
///
/// Grammar (lowest precedence first): `||` / `or`, `&&` / `and`, `!` / `not`, then one comparison
/// (`==`, `!=`, `>`, `>=`, `<`, `<=`, `in`, `not in`, `contains`) between operands. Operands are
/// references (`@step.key`, `@var.x`, `@item`), strings in single or double quotes, numbers,
/// `true`, `false`, `null`, lists `[1, 2]` and parenthesised expressions. A lone operand is
/// tested for truth the way Python does (`0`, `""`, `[]`, `{}`, `null` and `false` are false).
public indirect enum Condition: Sendable, Equatable {
    case value(JSONValue)
    case reference(Reference)
    case list([Condition])
    case not(Condition)
    case and(Condition, Condition)
    case or(Condition, Condition)
    case compare(Condition, ComparisonOperator, Condition)

    public enum ComparisonOperator: String, Sendable, Equatable {
        case equal = "==", notEqual = "!=", greater = ">", greaterOrEqual = ">=", less = "<", lessOrEqual = "<="
        case `in` = "in", notIn = "not in", contains = "contains"
    }

    /// Parses a condition; the error gives the column where it went wrong.
    public init(parsing text: String) throws(ConditionSyntaxError) {
        var parser = ConditionParser(text: text)
        self = try parser.parseAll()
    }

    /// Every reference in the condition.
    public var references: [Reference] {
        switch self {
        case .value: []
        case .reference(let r): [r]
        case .list(let items): items.flatMap(\.references)
        case .not(let c): c.references
        case .and(let a, let b), .or(let a, let b), .compare(let a, _, let b): a.references + b.references
        }
    }

    /// Evaluates to a boolean. A reference that cannot be resolved (a step that was skipped or
    /// failed, a missing key) reads as `null`, so `@check.exit_code == 0` is simply false then.
    public func evaluate(with resolver: ReferenceResolver) async throws -> Bool {
        try await value(with: resolver).isTruthy
    }

    func value(with resolver: ReferenceResolver) async throws -> JSONValue {
        switch self {
        case .value(let v): return v
        case .reference(let r):
            do {
                return try await resolver.lookup(r)
            } catch is ReferenceError {
                return .null
            }
        case .list(let items):
            var out: [JSONValue] = []
            for item in items { out.append(try await item.value(with: resolver)) }
            return .array(out)
        case .not(let c): return .bool(!(try await c.value(with: resolver).isTruthy))
        case .and(let a, let b):
            guard try await a.value(with: resolver).isTruthy else { return false }
            return .bool(try await b.value(with: resolver).isTruthy)
        case .or(let a, let b):
            if try await a.value(with: resolver).isTruthy { return true }
            return .bool(try await b.value(with: resolver).isTruthy)
        case .compare(let a, let op, let b):
            let left = try await a.value(with: resolver)
            let right = try await b.value(with: resolver)
            return .bool(try Self.compare(left, op, right))
        }
    }

    static func compare(_ left: JSONValue, _ op: ComparisonOperator, _ right: JSONValue) throws(ConditionEvaluationError) -> Bool {
        switch op {
        case .equal: return left.looselyEquals(right)
        case .notEqual: return !left.looselyEquals(right)
        case .greater, .greaterOrEqual, .less, .lessOrEqual:
            // Ordering against null (a missing value) is false rather than an error.
            if left.isNull || right.isNull { return false }
            guard let order = left.compare(to: right) else {
                throw ConditionEvaluationError(
                    message: "cannot compare \(ParameterReader.describe(left)) with \(ParameterReader.describe(right)) using \(op.rawValue)")
            }
            switch op {
            case .greater: return order == .orderedDescending
            case .greaterOrEqual: return order != .orderedAscending
            case .less: return order == .orderedAscending
            default: return order != .orderedDescending
            }
        case .in, .notIn:
            guard let found = contains(right, left) else {
                throw ConditionEvaluationError(message: "'\(op.rawValue)' needs a list, object or string on the right, got \(ParameterReader.describe(right))")
            }
            return op == .in ? found : !found
        case .contains:
            guard let found = contains(left, right) else {
                throw ConditionEvaluationError(message: "'contains' needs a list, object or string on the left, got \(ParameterReader.describe(left))")
            }
            return found
        }
    }

    /// Whether `container` holds `element`; `nil` when `container` cannot hold anything.
    private static func contains(_ container: JSONValue, _ element: JSONValue) -> Bool? {
        switch container {
        case .array(let a): a.contains { $0.looselyEquals(element) }
        case .object(let o): element.stringValue.map { o[$0] != nil } ?? false
        case .string(let s): element.stringValue.map { s.contains($0) } ?? false
        case .null: false
        default: nil
        }
    }
}

/// A `when` condition that cannot be parsed.
public struct ConditionSyntaxError: Error, Sendable, Equatable, CustomStringConvertible {
    public var column: Int
    public var message: String

    public var description: String { "column \(column): \(message)" }
}

/// A `when` condition that cannot be evaluated (comparing a number with a string).
public struct ConditionEvaluationError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

private struct ConditionParser {
    enum Token: Equatable {
        case reference(String), string(String), number(JSONValue), word(String), symbol(String), end
    }

    let chars: [Character]
    var position = 0
    var tokenStart = 0
    var current: Token = .end
    /// How deep the tree being built is; bounded so that parsing and evaluating, both
    /// recursive, cannot overflow the stack on a hostile condition.
    var depth = 0
    static let maxDepth = 128

    init(text: String) {
        chars = Array(text)
    }

    func error(_ message: String, at column: Int? = nil) -> ConditionSyntaxError {
        ConditionSyntaxError(column: (column ?? tokenStart) + 1, message: message)
    }

    mutating func parseAll() throws(ConditionSyntaxError) -> Condition {
        try advance()
        if current == .end { throw error("the condition is empty") }
        let condition = try parseOr()
        guard current == .end else { throw error("unexpected \(describe(current))") }
        return condition
    }

    func describe(_ token: Token) -> String {
        switch token {
        case .reference(let r): "@\(r)"
        case .string(let s): "'\(s)'"
        case .number(let n): "\(n)"
        case .word(let w): "'\(w)'"
        case .symbol(let s): "'\(s)'"
        case .end: "end of condition"
        }
    }

    static let referenceCharacters: Set<Character> = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.[]'\"$")

    mutating func advance() throws(ConditionSyntaxError) {
        while position < chars.count, chars[position].isWhitespace { position += 1 }
        tokenStart = position
        guard position < chars.count else {
            current = .end
            return
        }
        let c = chars[position]
        if c == "@" {
            position += 1
            let start = position
            var bracketDepth = 0
            while position < chars.count {
                let ch = chars[position]
                if ch == "[" { bracketDepth += 1 }
                if ch == "]" {
                    if bracketDepth == 0 { break }
                    bracketDepth -= 1
                }
                if bracketDepth == 0 && !(ch.isLetter || ch.isNumber || ch == "_" || ch == "-" || ch == "." || ch == "[" || ch == "]") { break }
                position += 1
            }
            let body = String(chars[start..<position])
            if body.isEmpty { throw error("'@' must be followed by a step name, var, item or index") }
            current = .reference(body)
        } else if c == "'" || c == "\"" {
            position += 1
            var s = ""
            while true {
                guard position < chars.count else { throw error("unterminated string") }
                let ch = chars[position]
                position += 1
                if ch == c { break }
                if ch == "\\", position < chars.count {
                    let e = chars[position]
                    position += 1
                    switch e {
                    case "n": s.append("\n")
                    case "t": s.append("\t")
                    default: s.append(e)
                    }
                } else {
                    s.append(ch)
                }
            }
            current = .string(s)
        } else if c.isNumber || (c == "-" && position + 1 < chars.count && (chars[position + 1].isNumber || chars[position + 1] == ".")) || c == "." {
            let start = position
            position += 1
            while position < chars.count, chars[position].isNumber || chars[position] == "." || chars[position] == "e"
                || chars[position] == "E" || ((chars[position] == "-" || chars[position] == "+") && (chars[position - 1] == "e" || chars[position - 1] == "E"))
            {
                position += 1
            }
            let text = String(chars[start..<position])
            if let i = Int(text) {
                current = .number(.int(i))
            } else if let d = Double(text) {
                current = .number(.double(d))
            } else {
                throw error("'\(text)' is not a number")
            }
        } else if c.isLetter || c == "_" {
            let start = position
            while position < chars.count, chars[position].isLetter || chars[position].isNumber || chars[position] == "_" { position += 1 }
            current = .word(String(chars[start..<position]))
        } else {
            let two = position + 1 < chars.count ? String(chars[position...position + 1]) : ""
            if ["==", "!=", ">=", "<=", "&&", "||"].contains(two) {
                position += 2
                current = .symbol(two)
            } else if "><!()[],".contains(c) {
                position += 1
                current = .symbol(String(c))
            } else if c == "=" {
                throw error("use '==' to compare, not '='")
            } else {
                throw error("unexpected character '\(c)'")
            }
        }
    }

    /// Enters one more level of the tree; the caller restores ``depth`` when it returns.
    mutating func nest() throws(ConditionSyntaxError) {
        depth += 1
        if depth > Self.maxDepth {
            throw error("the condition is nested too deeply (more than \(Self.maxDepth) levels of brackets, not, and, or)")
        }
    }

    mutating func parseOr() throws(ConditionSyntaxError) -> Condition {
        let entryDepth = depth
        defer { depth = entryDepth }
        var left = try parseAnd()
        while current == .symbol("||") || current == .word("or") {
            // Each `or` wraps everything to its left, so a long chain is a deep tree.
            try nest()
            try advance()
            left = .or(left, try parseAnd())
        }
        return left
    }

    mutating func parseAnd() throws(ConditionSyntaxError) -> Condition {
        let entryDepth = depth
        defer { depth = entryDepth }
        var left = try parseNot()
        while current == .symbol("&&") || current == .word("and") {
            try nest()
            try advance()
            left = .and(left, try parseNot())
        }
        return left
    }

    mutating func parseNot() throws(ConditionSyntaxError) -> Condition {
        if current == .symbol("!") || current == .word("not") {
            try nest()
            defer { depth -= 1 }
            try advance()
            return .not(try parseNot())
        }
        return try parseComparison()
    }

    mutating func parseComparison() throws(ConditionSyntaxError) -> Condition {
        let left = try parseOperand()
        let op: Condition.ComparisonOperator
        switch current {
        case .symbol("=="): op = .equal
        case .symbol("!="): op = .notEqual
        case .symbol(">"): op = .greater
        case .symbol(">="): op = .greaterOrEqual
        case .symbol("<"): op = .less
        case .symbol("<="): op = .lessOrEqual
        case .word("in"): op = .in
        case .word("contains"): op = .contains
        case .word("not"):
            try advance()
            guard current == .word("in") else { throw error("expected 'in' after 'not'") }
            op = .notIn
        default:
            return left
        }
        try advance()
        let right = try parseOperand()
        return .compare(left, op, right)
    }

    mutating func parseOperand() throws(ConditionSyntaxError) -> Condition {
        let token = current
        switch token {
        case .reference(let body):
            let reference: Reference
            do {
                reference = try Reference(parsing: body)
            } catch {
                throw self.error(error.description)
            }
            try advance()
            return .reference(reference)
        case .string(let s):
            try advance()
            return .value(.string(s))
        case .number(let n):
            try advance()
            return .value(n)
        case .word("true"), .word("True"):
            try advance()
            return .value(true)
        case .word("false"), .word("False"):
            try advance()
            return .value(false)
        case .word("null"), .word("None"):
            try advance()
            return .value(.null)
        case .symbol("("):
            try nest()
            defer { depth -= 1 }
            try advance()
            let inner = try parseOr()
            guard current == .symbol(")") else { throw error("expected ')', found \(describe(current))") }
            try advance()
            return inner
        case .symbol("["):
            try nest()
            defer { depth -= 1 }
            try advance()
            var items: [Condition] = []
            if current != .symbol("]") {
                while true {
                    items.append(try parseOperand())
                    if current == .symbol(",") {
                        try advance()
                        continue
                    }
                    break
                }
            }
            guard current == .symbol("]") else { throw error("expected ']' to close the list, found \(describe(current))") }
            try advance()
            return .list(items)
        case .word(let w):
            throw error("unexpected word '\(w)'; quote text ('\(w)') and start references with @")
        case .end:
            throw error("the condition ends where a value was expected")
        default:
            throw error("unexpected \(describe(token)) where a value was expected")
        }
    }
}
