import Foundation
import OrderedCollections

/// One problem in a workflow document: where (`procedures[2].params.url`) and what.
public struct ValidationIssue: Sendable, Hashable, CustomStringConvertible {
    public var path: String
    public var message: String

    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { "\(path): \(message)" }
}

/// Reads a document into a ``Workflow``, noting every type problem instead of stopping.
struct WorkflowDocumentReader {
    var issues: [ValidationIssue] = []

    mutating func problem(_ path: String, _ message: String) {
        issues.append(ValidationIssue(path: path, message: message))
    }

    mutating func read(_ value: JSONValue) -> Workflow {
        var workflow = Workflow(procedures: [])
        guard case .object(let document) = value else {
            problem("document", "expected a JSON object with \"procedures\", got \(ParameterReader.describe(value))")
            workflow.decodingIssues = issues
            return workflow
        }
        workflow.document = document
        // The seed treated a missing procedures list as an empty workflow that does nothing.
        switch document["procedures"] {
        case nil, .null?: break
        case .array(let steps)?:
            for (i, step) in steps.enumerated() {
                if let procedure = readProcedure(step, path: "procedures[\(i)]") { workflow.procedures.append(procedure) }
            }
        case let other?:
            problem("procedures", "expected an array of steps, got \(ParameterReader.describe(other))")
        }
        switch document["variables"] {
        case nil, .null?: break
        case .object(let o)?: workflow.variables = o
        case let other?: problem("variables", "expected an object of name: value pairs, got \(ParameterReader.describe(other))")
        }
        if let inputs = document["inputs"], !inputs.isNull { workflow.inputs = readInputs(inputs) }
        workflow.maxParallel = positiveInt(document["max_parallel"], path: "max_parallel")
        workflow.timeout = positiveSeconds(document["timeout"], path: "timeout")
        workflow.onError = onError(document["on_error"], path: "on_error")
        workflow.decodingIssues = issues
        return workflow
    }

    mutating func readProcedure(_ value: JSONValue, path: String) -> Procedure? {
        guard case .object(let o) = value else {
            problem(path, "expected a step object with name, mod and method, got \(ParameterReader.describe(value))")
            return nil
        }
        var step = Procedure(name: "", mod: "", method: "")
        step.sourceIndex = Int(path.dropFirst("procedures[".count).dropLast())
        step.name = requiredString(o["name"], path: "\(path).name", what: "a step needs a name") ?? ""
        step.mod = requiredString(o["mod"], path: "\(path).mod", what: "a step needs a module, such as \"common.Bash\"") ?? ""
        step.method = requiredString(o["method"], path: "\(path).method", what: "a step needs a method, such as \"run\"") ?? ""
        switch o["params"] {
        case nil, .null?: break
        case .object(let params)?: step.params = params
        case let other?: problem("\(path).params", "expected an object, got \(ParameterReader.describe(other))")
        }
        switch o["depends_on"] {
        case nil, .null?: break
        case .string(let single)?: step.dependsOn = [single]
        case .array(let names)?:
            var list: [String] = []
            for (k, name) in names.enumerated() {
                if case .string(let s) = name {
                    list.append(s)
                } else {
                    problem("\(path).depends_on[\(k)]", "expected a step name, got \(ParameterReader.describe(name))")
                }
            }
            step.dependsOn = list
        case let other?: problem("\(path).depends_on", "expected an array of step names, got \(ParameterReader.describe(other))")
        }
        switch o["when"] {
        case nil, .null?: break
        case .string(let text)?: step.when = text
        case .bool(let b)?: step.whenLiteral = b
        case let other?: problem("\(path).when", "expected a condition such as \"@check.exit_code == 0\", got \(ParameterReader.describe(other))")
        }
        if let retry = o["retry"], !retry.isNull { step.retry = readRetry(retry, path: "\(path).retry") }
        step.timeout = positiveSeconds(o["timeout"], path: "\(path).timeout")
        step.onError = onError(o["on_error"], path: "\(path).on_error")
        switch o["foreach"] {
        case nil, .null?: break
        case .string(let s)? where s.hasPrefix("@") && !s.hasPrefix("@@"): step.foreach = .string(s)
        case .array(let a)?: step.foreach = .array(a)
        case let other?:
            problem("\(path).foreach", "expected a reference to an array (such as \"@list.data\") or an array, got \(ParameterReader.describe(other))")
        }
        step.maxParallel = positiveInt(o["max_parallel"], path: "\(path).max_parallel")
        switch o["description"] {
        case nil, .null?: break
        case .string(let s)?: step.description = s
        case let other?: problem("\(path).description", "expected text, got \(ParameterReader.describe(other))")
        }
        switch o["disabled"] {
        case nil, .null?: break
        case .bool(let b)?: step.disabled = b
        case let other?: problem("\(path).disabled", "expected true or false, got \(ParameterReader.describe(other))")
        }
        return step
    }

    mutating func requiredString(_ value: JSONValue?, path: String, what: String) -> String? {
        switch value {
        case nil, .null?:
            problem(path, what)
            return nil
        case .string(let s)?:
            if s.trimmingCharacters(in: .whitespaces).isEmpty {
                problem(path, "must not be empty: " + what)
                return nil
            }
            return s
        case let other?:
            problem(path, "expected text, got \(ParameterReader.describe(other))")
            return nil
        }
    }

    mutating func readRetry(_ value: JSONValue, path: String) -> RetryPolicy? {
        // `"retry": 3` is shorthand for three retries without delay.
        if value.intValue != nil, case .int(let n) = value {
            guard n >= 0 else {
                problem(path, "expected a retry count of 0 or more, got \(n)")
                return nil
            }
            return RetryPolicy(count: n)
        }
        guard case .object(let o) = value else {
            problem(path, "expected an object such as {\"count\": 3, \"delay\": 5, \"backoff\": \"exponential\"}, got \(ParameterReader.describe(value))")
            return nil
        }
        var policy = RetryPolicy()
        switch o["count"] {
        case nil, .null?: problem("\(path).count", "is required: how many times to retry")
        case let v?:
            if let n = v.intValue, case .int = v, n >= 0 {
                policy.count = n
            } else {
                problem("\(path).count", "expected a whole number of 0 or more, got \(ParameterReader.describe(v))")
            }
        }
        if let d = nonNegativeSeconds(o["delay"], path: "\(path).delay") { policy.delay = d }
        switch o["backoff"] {
        case nil, .null?: break
        case .string(let s)?:
            if let b = RetryPolicy.Backoff(rawValue: s) {
                policy.backoff = b
            } else {
                problem("\(path).backoff", "expected \"fixed\" or \"exponential\", got \"\(s)\"")
            }
        case let other?: problem("\(path).backoff", "expected \"fixed\" or \"exponential\", got \(ParameterReader.describe(other))")
        }
        policy.maxDelay = nonNegativeSeconds(o["max_delay"], path: "\(path).max_delay")
        for key in o.keys where !["count", "delay", "backoff", "max_delay"].contains(key) {
            problem("\(path).\(key)", "unknown retry setting (use count, delay, backoff, max_delay)")
        }
        return policy
    }

    mutating func readInputs(_ value: JSONValue) -> [InputDeclaration] {
        guard case .object(let o) = value else {
            problem("inputs", "expected an object of input declarations such as {\"env\": {\"type\": \"string\"}}, got \(ParameterReader.describe(value))")
            return []
        }
        var inputs: [InputDeclaration] = []
        for (name, spec) in o {
            let path = "inputs.\(name)"
            var input = InputDeclaration(name: name)
            guard case .object(let s) = spec else {
                problem(path, "expected an object with type, default, description, got \(ParameterReader.describe(spec))")
                continue
            }
            switch s["type"] {
            case nil, .null?: break
            case .string(let t)?:
                if let type = ValueType(rawValue: t) {
                    input.type = type
                } else {
                    problem("\(path).type", "unknown type \"\(t)\" (use string, number, integer, boolean, array, object or any)")
                }
            case let other?: problem("\(path).type", "expected a type name, got \(ParameterReader.describe(other))")
            }
            switch s["description"] {
            case nil, .null?: break
            case .string(let d)?: input.description = d
            case let other?: problem("\(path).description", "expected text, got \(ParameterReader.describe(other))")
            }
            switch s["required"] {
            case nil, .null?: break
            case .bool(let b)?: input.required = b
            case let other?: problem("\(path).required", "expected true or false, got \(ParameterReader.describe(other))")
            }
            if let d = s["default"] {
                do {
                    input.defaultValue = try input.coerce(d)
                } catch {
                    problem("\(path).default", "does not match the declared type: expected \(input.type.article) \(input.type.rawValue), got \(ParameterReader.describe(d))")
                }
            }
            inputs.append(input)
        }
        return inputs
    }

    mutating func positiveInt(_ value: JSONValue?, path: String) -> Int? {
        switch value {
        case nil, .null?: return nil
        case let v?:
            if case .int(let n) = v, n >= 1 { return n }
            problem(path, "expected a whole number of 1 or more, got \(ParameterReader.describe(v))")
            return nil
        }
    }

    mutating func positiveSeconds(_ value: JSONValue?, path: String) -> Double? {
        switch value {
        case nil, .null?: return nil
        case let v?:
            if let d = v.doubleValue, d > 0, d.isFinite { return d }
            problem(path, "expected a number of seconds greater than 0, got \(ParameterReader.describe(v))")
            return nil
        }
    }

    mutating func nonNegativeSeconds(_ value: JSONValue?, path: String) -> Double? {
        switch value {
        case nil, .null?: return nil
        case let v?:
            if let d = v.doubleValue, d >= 0, d.isFinite { return d }
            problem(path, "expected a number of seconds of 0 or more, got \(ParameterReader.describe(v))")
            return nil
        }
    }

    mutating func onError(_ value: JSONValue?, path: String) -> OnError? {
        switch value {
        case nil, .null?: return nil
        case .string(let s)?:
            if let e = OnError(rawValue: s) { return e }
            problem(path, "expected \"fail\" or \"continue\", got \"\(s)\"")
            return nil
        case let v?:
            problem(path, "expected \"fail\" or \"continue\", got \(ParameterReader.describe(v))")
            return nil
        }
    }
}
