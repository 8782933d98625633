import Foundation
import WorkFlowEngine
import Yams

/// YAML read with the typing of PyYAML's `safe_load` (YAML 1.1 plain scalars: `yes`/`off` are
/// booleans, `007` is octal, `1e5` stays a string) and written so that reading it back gives the
/// same value. Mapping key order is kept both ways.
///
/// Yams parses and emits; the typing is ours because Yams resolves scalars by YAML 1.2 rules.
enum YAMLCodec {
    /// Nesting deeper than this is refused rather than risking the stack.
    static let maxDepth = 512
    /// Aliases can make a small document expand enormously ("billion laughs"); past this many
    /// values reading fails instead of exhausting memory.
    static let maxValues = 2_000_000

    // MARK: Reading

    /// The parsed document; an empty document is `null`, as `safe_load` returns `None`.
    /// Failure messages say what is wrong and where, without naming the file.
    static func decode(_ text: String) throws(FileIOFailure) -> JSONValue {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text, plainScalarResolver)
        } catch let error as YamlError {
            throw FileIOFailure(describe(error))
        } catch {
            throw FileIOFailure("\(error)")
        }
        guard let root else { return .null }
        var budget = maxValues
        return try value(of: root, depth: 0, budget: &budget)
    }

    /// Yams resolves the implicit tag of a mapping key while checking for duplicates. This
    /// resolver gives every untagged plain scalar a private tag, so that such keys still read as
    /// "untagged" and our own YAML 1.1 rules type them.
    private static let plainTag = Tag.Name(rawValue: "tag:workflow.local,2026:plain")
    private static let plainScalarResolver: Resolver = (try? Resolver.basic.appending(plainTag, "^")) ?? .basic

    private static func value(of node: Node, depth: Int, budget: inout Int) throws(FileIOFailure) -> JSONValue {
        budget -= 1
        guard budget >= 0 else {
            throw FileIOFailure("the YAML document expands to more than \(maxValues) values (too many aliases?)")
        }
        guard depth <= maxDepth else { throw FileIOFailure("the YAML document nests deeper than \(maxDepth) levels") }
        switch node {
        case .scalar(let scalar):
            return try value(of: scalar)
        case .sequence(let sequence):
            try checkCollectionTag(sequence.tag, allowed: [.seq, .omap, .pairs], mark: sequence.mark)
            var items: [JSONValue] = []
            items.reserveCapacity(sequence.count)
            for item in sequence {
                items.append(try value(of: item, depth: depth + 1, budget: &budget))
            }
            return .array(items)
        case .mapping(let mapping):
            try checkCollectionTag(mapping.tag, allowed: [.map, .set], mark: mapping.mark)
            var object = JSONObject(minimumCapacity: mapping.count)
            for (key, member) in try mergedPairs(of: mapping, depth: depth) {
                // As in a Python dict, a repeated key keeps its first position and its last value.
                object[try keyString(key)] = try value(of: member, depth: depth + 1, budget: &budget)
            }
            return .object(object)
        case .alias(let alias):
            throw FileIOFailure("unresolved YAML alias '\(alias.anchor.rawValue)'\(at(alias.mark))")
        }
    }

    private static func checkCollectionTag(_ tag: Tag, allowed: [Tag.Name], mark: Mark?) throws(FileIOFailure) {
        let name = tag.rawValue
        guard name.isEmpty || name == Tag.Name.nonSpecific.rawValue || allowed.map(\.rawValue).contains(name) else {
            throw FileIOFailure("unsupported YAML tag '\(name)'\(at(mark))")
        }
    }

    /// The pairs of `mapping` with merge keys (`<<`) expanded the way PyYAML does: merged pairs
    /// come first (for a list of mappings, the last listed first) and the mapping's own pairs
    /// after them, so that own keys win.
    private static func mergedPairs(of mapping: Node.Mapping, depth: Int) throws(FileIOFailure) -> [(Node, Node)] {
        guard depth <= maxDepth else { throw FileIOFailure("the YAML document nests deeper than \(maxDepth) levels") }
        var merged: [(Node, Node)] = []
        var own: [(Node, Node)] = []
        for (key, member) in mapping {
            guard isMergeKey(key) else {
                own.append((key, member))
                continue
            }
            switch member {
            case .mapping(let source):
                merged.append(contentsOf: try mergedPairs(of: source, depth: depth + 1))
            case .sequence(let sources):
                var groups: [[(Node, Node)]] = []
                for source in sources {
                    guard case .mapping(let sourceMapping) = source else {
                        throw FileIOFailure("a YAML merge (<<) list may only hold mappings\(at(source.mark))")
                    }
                    groups.append(try mergedPairs(of: sourceMapping, depth: depth + 1))
                }
                for group in groups.reversed() { merged.append(contentsOf: group) }
            default:
                throw FileIOFailure("a YAML merge (<<) needs a mapping or a list of mappings\(at(member.mark))")
            }
        }
        return merged + own
    }

    private static func isMergeKey(_ node: Node) -> Bool {
        guard case .scalar(let scalar) = node else { return false }
        let tag = scalar.tag.rawValue
        if tag == Tag.Name.merge.rawValue { return true }
        return scalar.string == "<<" && scalar.style == .plain && (tag.isEmpty || tag == plainTag.rawValue)
    }

    /// A mapping key as JSON needs it: a string. Other scalars become the text Python's
    /// `json.dumps` gives dictionary keys (`1`, `true`, `null`).
    private static func keyString(_ node: Node) throws(FileIOFailure) -> String {
        guard case .scalar(let scalar) = node else {
            throw FileIOFailure("YAML mapping keys must be scalars, found a \(node.mapping != nil ? "mapping" : "list")\(at(node.mark))")
        }
        switch try value(of: scalar) {
        case .string(let s): return s
        case .int(let i): return String(i)
        case .double(let d):
            if d.isNaN { return "NaN" }
            if d.isInfinite { return d < 0 ? "-Infinity" : "Infinity" }
            return d.description
        case .bool(let b): return b ? "true" : "false"
        case .null: return "null"
        case .array, .object: return scalar.string
        }
    }

    private static func value(of scalar: Node.Scalar) throws(FileIOFailure) -> JSONValue {
        let tag = scalar.tag.rawValue
        let text = scalar.string
        switch tag {
        case "", plainTag.rawValue:
            // Quoted and block scalars arrive tagged `str`; an untagged scalar is plain.
            return scalar.style == .plain ? YAML11Scalar.resolve(text) : .string(text)
        case Tag.Name.nonSpecific.rawValue, Tag.Name.str.rawValue, Tag.Name.timestamp.rawValue, Tag.Name.binary.rawValue:
            return .string(text)
        case Tag.Name.null.rawValue:
            return .null
        case Tag.Name.bool.rawValue:
            guard let b = YAML11Scalar.bool(text) else { throw FileIOFailure("'\(text)' is not a YAML boolean\(at(scalar.mark))") }
            return .bool(b)
        case Tag.Name.int.rawValue:
            guard let i = YAML11Scalar.int(text) else { throw FileIOFailure("'\(text)' is not a YAML integer\(at(scalar.mark))") }
            return i
        case Tag.Name.float.rawValue:
            guard let d = YAML11Scalar.float(text) ?? YAML11Scalar.int(text)?.doubleValue else {
                throw FileIOFailure("'\(text)' is not a YAML float\(at(scalar.mark))")
            }
            return .double(d)
        default:
            // PyYAML's safe_load refuses tags it has no constructor for.
            throw FileIOFailure("unsupported YAML tag '\(tag)'\(at(scalar.mark))")
        }
    }

    private static func at(_ mark: Mark?) -> String {
        mark.map { " at line \($0.line), column \($0.column)" } ?? ""
    }

    private static func describe(_ error: YamlError) -> String {
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            let during = context.map { " (\($0.text) at line \($0.mark.line), column \($0.mark.column))" } ?? ""
            return "line \(mark.line), column \(mark.column): \(problem)\(during)"
        case .reader(let problem, let offset, _, _):
            return "\(problem)" + (offset.map { " at character \($0)" } ?? "")
        case .duplicatedKeysInMapping(let duplicates, let context):
            let names = duplicates.sorted().map { "'\($0)'" }.joined(separator: ", ")
            return "duplicate mapping key(s) \(names) at line \(context.mark.line), column \(context.mark.column)"
        default:
            return "\(error)"
        }
    }

    // MARK: Writing

    /// Block-style YAML (`default_flow_style=False`), non-ASCII kept, keys in their order.
    /// Strings that would read back as another type (`yes`, `007`, `null`, `1.0`, dates) are quoted.
    static func encode(_ value: JSONValue) throws(FileIOFailure) -> String {
        do {
            return try Yams.serialize(
                node: node(for: value), indent: 2, width: 80, allowUnicode: true,
                sequenceStyle: .block, mappingStyle: .block)
        } catch {
            throw FileIOFailure("cannot write YAML: \(error)")
        }
    }

    private static func node(for value: JSONValue) -> Node {
        switch value {
        case .null: return Node("null", .implicit, .plain)
        case .bool(let b): return Node(b ? "true" : "false", .implicit, .plain)
        case .int(let i): return Node(String(i), .implicit, .plain)
        case .double(let d): return Node(YAML11Scalar.floatText(d), .implicit, .plain)
        case .string(let s): return stringNode(s)
        case .array(let items): return Node(items.map(node(for:)), .implicit, .block)
        case .object(let object): return Node(object.map { (stringNode($0.key), node(for: $0.value)) }, .implicit, .block)
        }
    }

    private static func stringNode(_ s: String) -> Node {
        // The emitter writes any string plain when YAML syntax allows it; it does not know that
        // a plain `yes` would read back as a boolean, so such strings are quoted here.
        let readsAsOtherType =
            YAML11Scalar.resolve(s) != .string(s)
            || Resolver.default.resolveTag(of: Node(s)) != .str
        return Node(s, .implicit, readsAsOtherType ? .singleQuoted : .any)
    }
}

/// PyYAML's implicit typing of plain scalars (YAML 1.1), and its float formatting.
enum YAML11Scalar {
    /// The value a plain (unquoted, untagged) scalar has under `yaml.safe_load`. Timestamps stay strings.
    static func resolve(_ text: String) -> JSONValue {
        switch text {
        case "", "~", "null", "Null", "NULL": return .null
        default: break
        }
        if let b = bool(text) { return .bool(b) }
        guard let first = text.utf8.first, "-+0123456789.".utf8.contains(first) else { return .string(text) }
        if let d = float(text) { return .double(d) }
        if let i = int(text) { return i }
        return .string(text)
    }

    static func bool(_ text: String) -> Bool? {
        switch text {
        case "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON": true
        case "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF": false
        default: nil
        }
    }

    /// `[-+]?(0b[01_]+ | 0[0-7_]+ | 0 | [1-9][0-9_]* | 0x[0-9a-fA-F_]+ | [1-9][0-9_]*(:[0-5]?[0-9])+)`;
    /// an integer too large for `Int` becomes a double.
    static func int(_ text: String) -> JSONValue? {
        var body = Substring(text)
        var negative = false
        if let sign = body.first, sign == "-" || sign == "+" {
            negative = sign == "-"
            body = body.dropFirst()
        }
        func number(_ digits: Substring, radix: Int, allowed: String) -> JSONValue? {
            guard !digits.isEmpty, digits.allSatisfy({ allowed.contains($0) || $0 == "_" }) else { return nil }
            let clean = digits.filter { $0 != "_" }
            if clean.isEmpty { return radix == 8 ? .int(0) : nil }
            if let magnitude = Int(clean, radix: radix) { return .int(negative ? -magnitude : magnitude) }
            if radix == 10, let d = Double(clean) { return .double(negative ? -d : d) }
            var d = 0.0
            for ch in clean { d = d * Double(radix) + Double(ch.hexDigitValue ?? 0) }
            return .double(negative ? -d : d)
        }
        if body.hasPrefix("0b") { return number(body.dropFirst(2), radix: 2, allowed: "01") }
        if body.hasPrefix("0x") { return number(body.dropFirst(2), radix: 16, allowed: "0123456789abcdefABCDEF") }
        if body == "0" { return .int(0) }
        if body.hasPrefix("0") { return number(body.dropFirst(), radix: 8, allowed: "01234567") }
        guard let lead = body.first, ("1"..."9").contains(lead) else { return nil }
        if body.contains(":") {
            guard let parts = sexagesimalParts(body, lastMayHaveFraction: false) else { return nil }
            var total = 0
            for part in parts {
                guard let digit = Int(part), case (let next, false) = total.multipliedReportingOverflow(by: 60),
                    case (let sum, false) = next.addingReportingOverflow(digit)
                else { return nil }
                total = sum
            }
            return .int(negative ? -total : total)
        }
        return number(body, radix: 10, allowed: "0123456789")
    }

    /// `[-+]?[0-9][0-9_]*\.[0-9_]*([eE][-+][0-9]+)? | \.[0-9][0-9_]*([eE][-+][0-9]+)? |
    /// [-+]?[0-9][0-9_]*(:[0-5]?[0-9])+\.[0-9_]* | [-+]?\.(inf|Inf|INF) | \.(nan|NaN|NAN)`.
    static func float(_ text: String) -> Double? {
        switch text {
        case ".nan", ".NaN", ".NAN": return .nan
        case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF": return .infinity
        case "-.inf", "-.Inf", "-.INF": return -.infinity
        default: break
        }
        var body = Substring(text)
        var negative = false
        if let sign = body.first, sign == "-" || sign == "+" {
            negative = sign == "-"
            body = body.dropFirst()
        }
        let digitsOrUnderscore: (Character) -> Bool = { $0.isASCII && ($0.isNumber || $0 == "_") }
        if body.contains(":") {
            guard body.first?.isASCII == true, body.first?.isNumber == true,
                let parts = sexagesimalParts(body, lastMayHaveFraction: true)
            else { return nil }
            var total = 0.0
            for part in parts {
                guard let d = Double(part) else { return nil }
                total = total * 60 + d
            }
            return negative ? -total : total
        }
        guard let dot = body.firstIndex(of: ".") else { return nil }
        let whole = body[..<dot]
        var rest = body[body.index(after: dot)...]
        var exponent: Substring = ""
        if let e = rest.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            exponent = rest[rest.index(after: e)...]
            rest = rest[..<e]
            guard let sign = exponent.first, sign == "+" || sign == "-", exponent.count > 1,
                exponent.dropFirst().allSatisfy({ $0.isASCII && $0.isNumber })
            else { return nil }
        }
        if whole.isEmpty {
            // `.5`: no sign allowed, and a digit must follow the dot.
            guard !negative, text.first == ".", let lead = rest.first, lead.isASCII, lead.isNumber else { return nil }
        } else {
            guard let lead = whole.first, lead.isASCII, lead.isNumber, whole.allSatisfy(digitsOrUnderscore) else { return nil }
        }
        guard rest.allSatisfy(digitsOrUnderscore) else { return nil }
        let wholeDigits: String = whole.isEmpty ? "0" : String(whole.filter { $0 != "_" })
        let fractionDigits = String(rest.filter { $0 != "_" })
        let exponentText: String = exponent.isEmpty ? "" : "e" + String(exponent)
        guard let d = Double(wholeDigits + "." + fractionDigits + "0" + exponentText) else { return nil }
        return negative ? -d : d
    }

    /// `a:b:c` where the first part is digits and underscores and each later part is `[0-5]?[0-9]`
    /// (the last may carry a `.fraction` when `lastMayHaveFraction`); underscores are removed.
    private static func sexagesimalParts(_ body: Substring, lastMayHaveFraction: Bool) -> [String]? {
        var parts = body.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 2 else { return nil }
        var fraction = ""
        if lastMayHaveFraction {
            guard let dot = parts[parts.count - 1].firstIndex(of: ".") else { return nil }
            let last = parts[parts.count - 1]
            fraction = String(last[last.index(after: dot)...])
            parts[parts.count - 1] = String(last[..<dot])
            guard fraction.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == "_") }) else { return nil }
        }
        guard parts[0].allSatisfy({ $0.isASCII && ($0.isNumber || $0 == "_") }), !parts[0].isEmpty else { return nil }
        for part in parts.dropFirst() {
            let chars = Array(part)
            switch chars.count {
            case 1: guard chars[0].isASCII, chars[0].isNumber else { return nil }
            case 2: guard ("0"..."5").contains(chars[0]), chars[1].isASCII, chars[1].isNumber else { return nil }
            default: return nil
            }
        }
        parts[0] = parts[0].filter { $0 != "_" }
        if lastMayHaveFraction {
            parts[parts.count - 1] += "." + fraction.filter { $0 != "_" } + "0"
        }
        return parts
    }

    /// A double as PyYAML writes it: Python's `repr`, with `.0` added before an exponent
    /// (`1.0e+20`) so that it reads back as a float.
    static func floatText(_ d: Double) -> String {
        if d.isNaN { return ".nan" }
        if d.isInfinite { return d < 0 ? "-.inf" : ".inf" }
        let text = d.description.lowercased()
        if !text.contains("."), let e = text.firstIndex(of: "e") {
            return text[..<e] + ".0" + text[e...]
        }
        return text
    }
}
