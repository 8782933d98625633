import Foundation
import OrderedCollections

/// A system variable's value and whether it is secret (secret values are masked in records and logs).
public struct SystemVariable: Sendable, Equatable {
    public var value: JSONValue
    public var isSecret: Bool

    public init(value: JSONValue, isSecret: Bool = false) {
        self.value = value
        self.isSecret = isSecret
    }
}

/// Who asks for a system variable, so that a store can check permissions.
public struct SystemVariableRequest: Sendable, Equatable {
    public var runID: Int64?
    public var triggeredBy: String?
    public var stepName: String

    public init(runID: Int64? = nil, triggeredBy: String? = nil, stepName: String) {
        self.runID = runID
        self.triggeredBy = triggeredBy
        self.stepName = stepName
    }
}

/// The port through which `@sys.name` references are read.
public protocol SystemVariableProvider: Sendable {
    /// The variable, or `nil` when it is not configured. Throws when the caller may not read it.
    func variable(named name: String, for request: SystemVariableRequest) async throws -> SystemVariable?
}

/// System variables held in memory (tests, the CLI before a store exists).
public struct InMemorySystemVariables: SystemVariableProvider {
    public var variables: [String: SystemVariable]

    public init(_ variables: [String: SystemVariable] = [:]) {
        self.variables = variables
    }

    public func variable(named name: String, for request: SystemVariableRequest) async throws -> SystemVariable? {
        variables[name]
    }
}

/// What references can see while one step's parameters are resolved.
public struct ReferenceScope: Sendable {
    /// Results of finished steps, by name.
    public var results: [String: JSONValue]
    /// Workflow variables overridden by run inputs.
    public var variables: JSONObject
    /// Why a step named in a reference has no result (`skipped`, `failed`, ...), for messages.
    public var statuses: [String: StepStatus]
    /// The current `foreach` item and index.
    public var item: JSONValue?
    public var index: Int?

    public init(
        results: [String: JSONValue] = [:], variables: JSONObject = [:], statuses: [String: StepStatus] = [:],
        item: JSONValue? = nil, index: Int? = nil
    ) {
        self.results = results
        self.variables = variables
        self.statuses = statuses
        self.item = item
        self.index = index
    }
}

/// Resolves references in step parameters, recursively through objects and arrays.
///
/// A whole-value reference keeps its JSON type; `${...}` inside a longer string is replaced by
/// the value's text (strings as they are, anything else as compact JSON).
public struct ReferenceResolver: Sendable {
    public var scope: ReferenceScope
    public var systemVariables: any SystemVariableProvider
    public var request: SystemVariableRequest

    public init(scope: ReferenceScope, systemVariables: any SystemVariableProvider = InMemorySystemVariables(), request: SystemVariableRequest) {
        self.scope = scope
        self.systemVariables = systemVariables
        self.request = request
    }

    /// The resolved value and the secret values it used, which the caller must mask.
    public struct Resolution: Sendable {
        public var value: JSONValue
        public var secrets: [String]
    }

    public func resolve(_ value: JSONValue) async throws -> Resolution {
        var secrets: [String] = []
        let resolved = try await resolve(value, secrets: &secrets)
        return Resolution(value: resolved, secrets: secrets)
    }

    private func resolve(_ value: JSONValue, secrets: inout [String]) async throws -> JSONValue {
        switch value {
        case .string(let s):
            // Fast path: most strings hold no reference.
            guard s.hasPrefix("@") || s.containsInterpolation else { return value }
            switch try StringForm(parsing: s) {
            case .literal(let text): return .string(text)
            case .reference(let r): return try await lookup(r, secrets: &secrets)
            case .template(let parts):
                var out = ""
                for part in parts {
                    switch part {
                    case .text(let t): out += t
                    case .reference(let r):
                        let v = try await lookup(r, secrets: &secrets)
                        if case .string(let text) = v { out += text } else { out += JSONWriter.string(from: v) }
                    }
                }
                return .string(out)
            }
        case .array(let a):
            var out: [JSONValue] = []
            out.reserveCapacity(a.count)
            for element in a { out.append(try await resolve(element, secrets: &secrets)) }
            return .array(out)
        case .object(let o):
            var out = JSONObject(minimumCapacity: o.count)
            for (key, element) in o { out[key] = try await resolve(element, secrets: &secrets) }
            return .object(out)
        default:
            return value
        }
    }

    /// The value of one reference.
    public func lookup(_ reference: Reference) async throws -> JSONValue {
        var secrets: [String] = []
        return try await lookup(reference, secrets: &secrets)
    }

    private func lookup(_ reference: Reference, secrets: inout [String]) async throws -> JSONValue {
        switch reference.root {
        case .step(let name):
            guard let result = scope.results[name] else {
                throw ReferenceError(reference: reference.description, message: missingStepMessage(name))
            }
            return try reference.walk(from: result, rootDescription: "the result of step '\(name)'")
        case .variables:
            if scope.variables.isEmpty && !reference.components.isEmpty {
                if case .key(let k) = reference.components[0] {
                    throw ReferenceError(
                        reference: reference.description,
                        message: "variable '\(k)' is not defined: the workflow has no variables or inputs")
                }
            }
            // A literal dotted name (`@var.db.host` for a variable "db.host") wins, as in the seed.
            let literalHit = reference.literalKey.map { scope.variables[$0] != nil } ?? false
            if !literalHit, case .key(let k) = reference.components.first, scope.variables[k] == nil {
                throw ReferenceError(
                    reference: reference.description,
                    message: "variable '\(k)' is not defined (\(Reference.availableKeys(scope.variables)))")
            }
            return try reference.walk(from: .object(scope.variables), rootDescription: "variables")
        case .system:
            guard case .key(let name) = reference.components.first else {
                throw ReferenceError(reference: reference.description, message: "needs a system variable name")
            }
            guard let variable = try await systemVariables.variable(named: name, for: request) else {
                throw ReferenceError(reference: reference.description, message: "system variable '\(name)' is not configured")
            }
            if variable.isSecret { collectSecrets(variable.value, into: &secrets) }
            var rest = reference
            rest.components.removeFirst()
            rest.literalKey = nil
            return try rest.walk(from: variable.value, rootDescription: "system variable '\(name)'")
        case .item:
            guard let item = scope.item else {
                throw ReferenceError(reference: reference.description, message: "@item is only available in a step with foreach")
            }
            return try reference.walk(from: item, rootDescription: "the item")
        case .index:
            guard let index = scope.index else {
                throw ReferenceError(reference: reference.description, message: "@index is only available in a step with foreach")
            }
            return try reference.walk(from: .int(index), rootDescription: "the index")
        }
    }

    private func collectSecrets(_ value: JSONValue, into secrets: inout [String]) {
        switch value {
        case .string(let s): secrets.append(s)
        case .array(let a): for v in a { collectSecrets(v, into: &secrets) }
        case .object(let o): for v in o.values { collectSecrets(v, into: &secrets) }
        case .int, .double: secrets.append(value.description)
        default: break
        }
    }

    private func missingStepMessage(_ name: String) -> String {
        switch scope.statuses[name] {
        case nil:
            let known = scope.results.keys.sorted()
            return "no result for step '\(name)'"
                + (known.isEmpty ? " (no step has a result yet)" : " (steps with results: \(known.joined(separator: ", ")))")
        case .skipped?: return "step '\(name)' was skipped, so it has no result"
        case .failed?: return "step '\(name)' failed, so it has no result"
        case .cancelled?: return "step '\(name)' was cancelled, so it has no result"
        case .pending?, .running?: return "step '\(name)' has not finished yet (add it to depends_on)"
        case .success?: return "step '\(name)' has no result"
        }
    }
}
