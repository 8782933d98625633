import Foundation
import WorkFlowEngine

/// `common.MultiProcess`: run several module calls at once, or one call over chunks of data.
///
/// The seed used a Python process pool whose workers saw an empty context and unresolved
/// parameters. Here the calls run concurrently inside the engine (Bash steps still get their own
/// processes), the engine has already resolved references inside `steps` and `params`, and each
/// call shares the run's session.
public struct MultiProcessModule: Module {
    public init() {}

    public let descriptor = ModuleDescriptor(
        name: "common.MultiProcess",
        doc: "Run module calls concurrently: a list of steps, or one method over chunks of data.",
        methods: [
            MethodDescriptor(
                "parallel_steps",
                doc: "Run a list of steps at the same time and collect their results by name.",
                parameters: [
                    ParameterDescriptor(
                        "steps", .array, required: true,
                        doc: "Steps to run: [{\"name\", \"mod\", \"method\", \"params\"}]; names must be unique."),
                    ParameterDescriptor("processes", .integer, doc: "How many run at once (default: the number of steps)."),
                ],
                result: #"{"status": true, "results": {"<name>": <result>}, "errors": []}; a step that raised gives {"status": false, "error": "..."} and its name in errors"#
            ),
            MethodDescriptor(
                "parallel_data",
                doc: "Split data into chunks and call one method per chunk concurrently; merge the chunks' data.",
                parameters: [
                    ParameterDescriptor("data", .array, required: true, doc: "The rows to split."),
                    ParameterDescriptor("data_key", .string, required: true, doc: "The parameter name that receives each chunk."),
                    ParameterDescriptor("mod", .string, required: true, doc: "Module to call, such as common.Filter."),
                    ParameterDescriptor("method", .string, required: true, doc: "Method to call, such as filter."),
                    ParameterDescriptor("params", .object, default: [:], doc: "Other parameters for every call."),
                    ParameterDescriptor("processes", .integer, default: 4, doc: "How many chunks (and calls at once)."),
                ],
                result: #"{"status": true, "data": [merged rows in chunk order], "errors": ["chunk_<i>: <error>"]}"#
            ),
        ])

    public func call(_ method: String, params: JSONObject, context: StepContext) async throws -> ModuleOutput {
        let reader = ParameterReader(params)
        switch method {
        case "parallel_steps": return try await parallelSteps(reader, context: context)
        case "parallel_data": return try await parallelData(reader, context: context)
        default: throw UnknownMethodError(module: descriptor.name, method: method, available: descriptor.methods.map(\.name))
        }
    }

    private struct Call: Sendable {
        var name: String
        var mod: String
        var method: String
        var params: JSONObject
    }

    private func parallelSteps(_ reader: ParameterReader, context: StepContext) async throws -> ModuleOutput {
        let steps = try reader.array("steps")
        let failureShape: JSONValue = ["status": false, "results": [:], "errors": []]
        guard !steps.isEmpty else { return .failure(failureShape, error: "steps is empty") }
        var calls: [Call] = []
        var names = Set<String>()
        for (i, step) in steps.enumerated() {
            guard case .object(let o) = step else {
                throw ParameterError(path: "steps[\(i)]", message: "expected a step object, got \(ParameterReader.describe(step))")
            }
            let item = ParameterReader(o)
            do throws(ParameterError) {
                let name = try item.string("name")
                guard names.insert(name).inserted else {
                    throw ParameterError(path: "name", message: "duplicate step name '\(name)'")
                }
                calls.append(
                    Call(name: name, mod: try item.string("mod"), method: try item.string("method"), params: try item.optionalObject("params") ?? [:]))
            } catch {
                throw ParameterError(path: "steps[\(i)].\(error.path)", message: error.message)
            }
        }
        let processes = try reader.int("processes", default: calls.count)
        guard processes >= 1 else { throw ParameterError(path: "processes", message: "must be 1 or more, got \(processes)") }
        context.logger.info("running \(calls.count) steps, \(min(processes, calls.count)) at a time")

        let outcomes = try await runBounded(calls, limit: processes, context: context)
        var results = JSONObject()
        var errors: [JSONValue] = []
        var messages: [String] = []
        for (call, outcome) in zip(calls, outcomes) {
            switch outcome {
            case .success(let output):
                results[call.name] = output.result
            case .failure(let message):
                results[call.name] = ["status": false, "error": .string(message)]
                errors.append(.string(call.name))
                messages.append("\(call.name): \(message)")
                context.logger.error("step \(call.name) failed: \(message)")
            }
        }
        let result: JSONValue = ["status": .bool(errors.isEmpty), "results": .object(results), "errors": .array(errors)]
        if errors.isEmpty { return .success(result) }
        return .failure(result, error: "\(errors.count) of \(calls.count) steps failed: " + messages.joined(separator: "; "))
    }

    private func parallelData(_ reader: ParameterReader, context: StepContext) async throws -> ModuleOutput {
        let data = try reader.array("data")
        let dataKey = try reader.string("data_key")
        let mod = try reader.string("mod")
        let method = try reader.string("method")
        let params = try reader.optionalObject("params") ?? [:]
        let processes = try reader.int("processes", default: 4)
        guard processes >= 1 else { throw ParameterError(path: "processes", message: "must be 1 or more, got \(processes)") }
        guard !data.isEmpty else {
            return .failure(["status": false, "data": [], "errors": []], error: "data is empty")
        }
        // The seed's chunking: size = max(1, count / processes), so there may be more chunks than processes.
        let size = max(1, data.count / processes)
        var calls: [Call] = []
        var start = 0
        while start < data.count {
            let end = min(start + size, data.count)
            var chunkParams = params
            chunkParams[dataKey] = .array(Array(data[start..<end]))
            calls.append(Call(name: "chunk_\(calls.count)", mod: mod, method: method, params: chunkParams))
            start = end
        }
        context.logger.info("\(data.count) rows in \(calls.count) chunks of up to \(size), \(min(processes, calls.count)) at a time")

        let outcomes = try await runBounded(calls, limit: processes, context: context)
        var merged: [JSONValue] = []
        var errors: [JSONValue] = []
        for (call, outcome) in zip(calls, outcomes) {
            switch outcome {
            case .success(let output):
                if case .array(let rows)? = output.result["data"] { merged += rows }
            case .failure(let message):
                errors.append(.string("\(call.name): \(message)"))
                context.logger.error("\(call.name) failed: \(message)")
            }
        }
        let result: JSONValue = ["status": .bool(errors.isEmpty), "data": .array(merged), "errors": .array(errors)]
        if errors.isEmpty { return .success(result) }
        return .failure(result, error: errors.compactMap(\.stringValue).joined(separator: "; "))
    }

    private enum CallOutcome: Sendable {
        case success(ModuleOutput)
        case failure(String)
    }

    /// Runs `calls` with at most `limit` at once; outcomes come back in the calls' order.
    private func runBounded(_ calls: [Call], limit: Int, context: StepContext) async throws -> [CallOutcome] {
        var outcomes = [CallOutcome?](repeating: nil, count: calls.count)
        await withTaskGroup(of: (Int, CallOutcome).self) { group in
            var next = 0
            func add(_ i: Int, to group: inout TaskGroup<(Int, CallOutcome)>) {
                let call = calls[i]
                var callContext = context
                callContext.stepName = "\(context.stepName)/\(call.name)"
                group.addTask {
                    do {
                        let output = try await callContext.invoker.invoke(
                            module: call.mod, method: call.method, params: call.params, context: callContext)
                        return (i, .success(output))
                    } catch {
                        return (i, .failure(String(describing: error)))
                    }
                }
            }
            while next < min(limit, calls.count) {
                add(next, to: &group)
                next += 1
            }
            for await (i, outcome) in group {
                outcomes[i] = outcome
                if next < calls.count, !Task.isCancelled {
                    add(next, to: &group)
                    next += 1
                }
            }
        }
        try Task.checkCancellation()
        return outcomes.map { $0 ?? .failure("not run") }
    }
}
