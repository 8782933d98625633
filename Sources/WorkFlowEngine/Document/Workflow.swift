import Foundation
import OrderedCollections

/// What a step does when it fails.
public enum OnError: String, Sendable, Hashable {
    /// Stop the run: running steps are cancelled, steps not started are skipped.
    case fail
    /// Record the failure and let the run go on; later steps see `{"status": false, "error": ...}`.
    case `continue`
}

/// How often and how patiently a failed step is tried again.
public struct RetryPolicy: Sendable, Hashable {
    public enum Backoff: String, Sendable, Hashable {
        case fixed, exponential
    }

    /// Retries after the first attempt (so `count: 2` allows three attempts).
    public var count: Int
    /// Seconds before the first retry.
    public var delay: Double
    public var backoff: Backoff
    /// Upper bound, in seconds, for exponential delays.
    public var maxDelay: Double?

    public init(count: Int = 0, delay: Double = 0, backoff: Backoff = .fixed, maxDelay: Double? = nil) {
        self.count = count
        self.delay = delay
        self.backoff = backoff
        self.maxDelay = maxDelay
    }

    /// Seconds to wait after failed attempt number `attempt` (1-based).
    public func delay(afterAttempt attempt: Int) -> Double {
        var seconds = delay
        if backoff == .exponential {
            seconds = delay * pow(2, Double(max(0, attempt - 1)))
        }
        if let maxDelay { seconds = min(seconds, maxDelay) }
        return max(0, seconds)
    }
}

/// A declared run input: shown on run forms, type-checked when a run starts.
public struct InputDeclaration: Sendable, Hashable {
    public var name: String
    public var type: ValueType
    public var defaultValue: JSONValue?
    public var description: String?
    /// Required inputs without a default must be given for every run.
    public var required: Bool

    public init(name: String, type: ValueType = .string, defaultValue: JSONValue? = nil, description: String? = nil, required: Bool = false) {
        self.name = name
        self.type = type
        self.defaultValue = defaultValue
        self.description = description
        self.required = required
    }
}

/// One step (the seed calls it a procedure): call `method` of module `mod` with `params`.
public struct Procedure: Sendable, Hashable {
    public var name: String
    public var mod: String
    public var method: String
    public var params: JSONObject
    /// Steps that must finish first; `nil` means "the previous step in the list", `[]` means none.
    public var dependsOn: [String]?
    /// The `when` condition as written; the step is skipped when it is false.
    public var when: String?
    /// `when` written as a JSON boolean.
    public var whenLiteral: Bool?
    public var retry: RetryPolicy?
    /// Seconds per attempt.
    public var timeout: Double?
    public var onError: OnError?
    /// A reference (`@step.data`) or literal array; the step runs once per item.
    public var foreach: JSONValue?
    /// Items run at once inside `foreach` (default 1).
    public var maxParallel: Int?
    public var description: String?
    public var disabled: Bool
    /// The step's position in the document's `procedures` array, for error paths.
    var sourceIndex: Int?

    public init(
        name: String, mod: String, method: String, params: JSONObject = [:], dependsOn: [String]? = nil,
        when: String? = nil, retry: RetryPolicy? = nil, timeout: Double? = nil, onError: OnError? = nil,
        foreach: JSONValue? = nil, maxParallel: Int? = nil, description: String? = nil, disabled: Bool = false
    ) {
        self.name = name
        self.mod = mod
        self.method = method
        self.params = params
        self.dependsOn = dependsOn
        self.when = when
        self.retry = retry
        self.timeout = timeout
        self.onError = onError
        self.foreach = foreach
        self.maxParallel = maxParallel
        self.description = description
        self.disabled = disabled
    }
}

/// A workflow document: the seed's `procedures` and `variables`, the editor's `_connections` and
/// `_positions` (kept untouched in ``document``), and our extensions.
public struct Workflow: Sendable {
    public var procedures: [Procedure]
    public var variables: JSONObject
    public var inputs: [InputDeclaration]
    /// Steps run at once (default ``defaultMaxParallel``).
    public var maxParallel: Int?
    /// Seconds for the whole run.
    public var timeout: Double?
    /// The default for steps that do not set `on_error`.
    public var onError: OnError?
    /// The document as it was read, every key included, for storage and the editor.
    public var document: JSONObject
    /// Problems found while reading the document (wrong types); ``validate(registry:)`` reports them with the rest.
    public var decodingIssues: [ValidationIssue]

    /// Steps run at once when the workflow does not say.
    public static let defaultMaxParallel = 8

    public init(
        procedures: [Procedure], variables: JSONObject = [:], inputs: [InputDeclaration] = [], maxParallel: Int? = nil,
        timeout: Double? = nil, onError: OnError? = nil
    ) {
        self.procedures = procedures
        self.variables = variables
        self.inputs = inputs
        self.maxParallel = maxParallel
        self.timeout = timeout
        self.onError = onError
        self.document = [:]
        self.decodingIssues = []
    }

    /// Reads a document, recording type problems in ``decodingIssues`` rather than stopping at the first.
    public init(document value: JSONValue) {
        var reader = WorkflowDocumentReader()
        self = reader.read(value)
    }

    /// Reads JSON text (JSON5 is accepted too: comments, trailing commas, unquoted keys).
    public init(json text: String) throws(JSONParseError) {
        self.init(document: try JSONParser(allowsJSON5: true).parse(text))
    }

    /// The variables a run sees: the workflow's `variables`, then input defaults, then the run's inputs.
    ///
    /// Inputs given as text (from the command line) are converted to their declared type.
    public func runVariables(inputs provided: JSONObject) throws(InputError) -> JSONObject {
        var merged = variables
        var problems: [String] = []
        for declaration in inputs {
            if let value = provided[declaration.name] {
                do {
                    merged[declaration.name] = try declaration.coerce(value)
                } catch {
                    problems.append(error.message)
                }
            } else if let fallback = declaration.defaultValue {
                merged[declaration.name] = fallback
            } else if declaration.required, merged[declaration.name] == nil {
                problems.append("input '\(declaration.name)' is required\(declaration.description.map { " (\($0))" } ?? "")")
            }
        }
        for (name, value) in provided where !inputs.contains(where: { $0.name == name }) {
            merged[name] = value
        }
        if !problems.isEmpty { throw InputError(message: problems.joined(separator: "; ")) }
        return merged
    }
}

/// A run input that is missing or has the wrong type.
public struct InputError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

extension InputDeclaration {
    /// `value` as the declared type; text is parsed (`"3"` → 3 for a number input).
    func coerce(_ value: JSONValue) throws(InputError) -> JSONValue {
        if type.accepts(value) {
            if type == .integer, let i = value.intValue { return .int(i) }
            return value
        }
        if case .string(let text) = value {
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            switch type {
            case .integer:
                if let i = Int(trimmed) { return .int(i) }
            case .number:
                if let i = Int(trimmed) { return .int(i) }
                if let d = Double(trimmed), d.isFinite { return .double(d) }
            case .boolean:
                switch trimmed.lowercased() {
                case "true", "yes", "1", "on": return true
                case "false", "no", "0", "off": return false
                default: break
                }
            case .array, .object:
                if let parsed = try? JSONParser.parse(text), type.accepts(parsed) { return parsed }
            case .string, .any:
                return value
            }
        }
        throw InputError(message: "input '\(name)': expected \(type.article) \(type.rawValue), got \(ParameterReader.describe(value))")
    }
}

extension ValueType {
    var article: String {
        switch self {
        case .array, .object, .integer, .any: "an"
        default: "a"
        }
    }
}
