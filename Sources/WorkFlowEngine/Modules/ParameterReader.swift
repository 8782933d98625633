import Foundation

/// A parameter that is missing or has the wrong type; the message names the parameter.
public struct ParameterError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The parameter's path inside `params`, e.g. `timeout` or `conditions[1].op`.
    public var path: String
    public var message: String

    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { "params.\(path): \(message)" }
}

/// Typed, well-explained access to a step's resolved parameters.
///
/// ```swift
/// let reader = ParameterReader(params)
/// let cmd = try reader.required("cmd")               // any JSON value
/// let timeout = try reader.int("timeout", default: 60)
/// ```
public struct ParameterReader: Sendable {
    public let params: JSONObject

    public init(_ params: JSONObject) {
        self.params = params
    }

    /// Describes a value for error messages: `string "ten"`, `number 3`, `array`, `null`.
    public static func describe(_ value: JSONValue) -> String {
        switch value {
        case .string(let s):
            let shown = s.count > 40 ? String(s.prefix(40)) + "…" : s
            return "string \"\(shown)\""
        case .int, .double: return "number \(value)"
        case .bool(let b): return "boolean \(b)"
        case .null: return "null"
        case .array(let a): return "an array of \(a.count) item\(a.count == 1 ? "" : "s")"
        case .object: return "an object"
        }
    }

    public func mismatch(_ name: String, expected: String, got value: JSONValue) -> ParameterError {
        ParameterError(path: name, message: "expected \(expected), got \(Self.describe(value))")
    }

    /// The raw value, or nil when absent. A JSON `null` counts as absent, as Python's `.get()` did for defaults.
    public func value(_ name: String) -> JSONValue? {
        guard let v = params[name], !v.isNull else { return nil }
        return v
    }

    /// The raw value; throws when absent.
    public func required(_ name: String) throws(ParameterError) -> JSONValue {
        guard let v = params[name] else {
            throw ParameterError(path: name, message: "is required")
        }
        return v
    }

    public func string(_ name: String) throws(ParameterError) -> String {
        let v = try required(name)
        guard case .string(let s) = v else { throw mismatch(name, expected: "a string", got: v) }
        return s
    }

    public func string(_ name: String, default fallback: String) throws(ParameterError) -> String {
        guard let v = value(name) else { return fallback }
        guard case .string(let s) = v else { throw mismatch(name, expected: "a string", got: v) }
        return s
    }

    public func optionalString(_ name: String) throws(ParameterError) -> String? {
        guard let v = value(name) else { return nil }
        guard case .string(let s) = v else { throw mismatch(name, expected: "a string", got: v) }
        return s
    }

    /// An integer; like Python's `int()`, numeric strings such as `"30"` are accepted.
    public func int(_ name: String) throws(ParameterError) -> Int {
        try Self.coerceInt(try required(name), name: name)
    }

    public func int(_ name: String, default fallback: Int) throws(ParameterError) -> Int {
        guard let v = value(name) else { return fallback }
        return try Self.coerceInt(v, name: name)
    }

    public func optionalInt(_ name: String) throws(ParameterError) -> Int? {
        guard let v = value(name) else { return nil }
        return try Self.coerceInt(v, name: name)
    }

    static func coerceInt(_ v: JSONValue, name: String) throws(ParameterError) -> Int {
        if let i = v.intValue { return i }
        // Beyond ±9.2e18 a double has no Int; converting it would trap on user input.
        if case .double(let d) = v, d.isFinite, abs(d) < 9.2e18 { return Int(d.rounded(.towardZero)) }
        if case .string(let s) = v, let i = Int(s.trimmingCharacters(in: .whitespaces)) { return i }
        throw ParameterError(path: name, message: "expected an integer, got \(describe(v))")
    }

    /// A number (integer or decimal); numeric strings are accepted.
    public func double(_ name: String, default fallback: Double) throws(ParameterError) -> Double {
        guard let v = value(name) else { return fallback }
        if let d = v.doubleValue { return d }
        if case .string(let s) = v, let d = Double(s.trimmingCharacters(in: .whitespaces)) { return d }
        throw mismatch(name, expected: "a number", got: v)
    }

    /// The longest timeout a module accepts: a week. Larger values would overflow the clocks' arithmetic.
    public static let maxTimeoutSeconds: Double = 7 * 24 * 3600

    /// A timeout in seconds: a positive number (fractions allowed) of at most a week.
    public func timeoutSeconds(_ name: String = "timeout", default fallback: Double) throws(ParameterError) -> Double {
        let seconds = try double(name, default: fallback)
        guard seconds > 0, seconds <= Self.maxTimeoutSeconds else {
            throw ParameterError(
                path: name, message: "expected a positive number of seconds up to \(Int(Self.maxTimeoutSeconds)) (a week), got \(Self.describe(value(name) ?? .double(seconds)))")
        }
        return seconds
    }

    public func optionalDouble(_ name: String) throws(ParameterError) -> Double? {
        guard value(name) != nil else { return nil }
        return try double(name, default: 0)
    }

    public func bool(_ name: String, default fallback: Bool) throws(ParameterError) -> Bool {
        guard let v = value(name) else { return fallback }
        switch v {
        case .bool(let b): return b
        case .int(let i) where i == 0 || i == 1: return i == 1
        case .string(let s):
            switch s.lowercased() {
            case "true", "yes", "1": return true
            case "false", "no", "0": return false
            default: break
            }
        default: break
        }
        throw mismatch(name, expected: "a boolean", got: v)
    }

    public func array(_ name: String) throws(ParameterError) -> [JSONValue] {
        let v = try required(name)
        guard case .array(let a) = v else { throw mismatch(name, expected: "an array", got: v) }
        return a
    }

    public func optionalArray(_ name: String) throws(ParameterError) -> [JSONValue]? {
        guard let v = value(name) else { return nil }
        guard case .array(let a) = v else { throw mismatch(name, expected: "an array", got: v) }
        return a
    }

    public func object(_ name: String) throws(ParameterError) -> JSONObject {
        let v = try required(name)
        guard case .object(let o) = v else { throw mismatch(name, expected: "an object", got: v) }
        return o
    }

    public func optionalObject(_ name: String) throws(ParameterError) -> JSONObject? {
        guard let v = value(name) else { return nil }
        guard case .object(let o) = v else { throw mismatch(name, expected: "an object", got: v) }
        return o
    }

    /// An array of strings (a single string is accepted as a one-element list).
    public func optionalStringList(_ name: String) throws(ParameterError) -> [String]? {
        guard let v = value(name) else { return nil }
        if case .string(let s) = v { return [s] }
        guard case .array(let a) = v else { throw mismatch(name, expected: "an array of strings", got: v) }
        var out: [String] = []
        out.reserveCapacity(a.count)
        for (i, item) in a.enumerated() {
            guard case .string(let s) = item else {
                throw ParameterError(path: "\(name)[\(i)]", message: "expected a string, got \(Self.describe(item))")
            }
            out.append(s)
        }
        return out
    }
}
