import Foundation
import Logging
import OrderedCollections

/// Runs one started step on its own task: the `when` check, `foreach`, reference resolution,
/// attempts with retries and timeouts. Everything it needs is captured when it starts, so it
/// shares no mutable state with the run.
struct StepTask: Sendable {
    let index: Int
    let procedure: Procedure
    var record: StepRecord
    let scope: ReferenceScope
    let defaultOnError: OnError
    let executor: Executor
    let session: RunSession
    let secrets: RunSecrets
    let runID: Int64?
    let triggeredBy: String?
    let logger: Logger

    private var onError: OnError { procedure.onError ?? defaultOnError }

    private var clock: any EngineClock { executor.clock }

    /// How one attempt, or the whole step, ended.
    enum Attempt: Sendable {
        case success(JSONValue)
        case failure(String, result: JSONValue?)
        /// The step's task was cancelled; `result` is what the module returned on its way out, if anything.
        case cancelled(result: JSONValue?)
    }

    func run() async -> StepCompletion {
        let stepLogger = StepLogger(forwardingTo: logger, clock: clock, secrets: secrets)
        var record = self.record
        let resolver = makeResolver(scope)

        if let literal = procedure.whenLiteral, !literal {
            return finish(record, .skipped, message: "skipped: when is false", logger: stepLogger)
        }
        if let when = procedure.when {
            do {
                let condition = try Condition(parsing: when)
                if try await !condition.evaluate(with: resolver) {
                    return finish(record, .skipped, message: "skipped: the condition \(when) is false", logger: stepLogger)
                }
            } catch {
                return finish(record, .failure("when: \(Self.describe(error))", result: nil), attempts: 0, logger: stepLogger)
            }
        }
        guard let module = executor.registry.module(named: procedure.mod) else {
            let message = UnknownModuleError(name: procedure.mod, available: executor.registry.names).description
            return finish(record, .failure(message, result: nil), attempts: 0, logger: stepLogger)
        }

        if let foreach = procedure.foreach {
            return await runForeach(foreach, module: module, resolver: resolver, logger: stepLogger)
        }

        let params: JSONObject
        do {
            let resolution = try await resolver.resolve(.object(procedure.params))
            secrets.add(resolution.secrets)
            params = resolution.value.objectValue ?? [:]
            record.params = secrets.masker.mask(resolution.value)
        } catch {
            record.params = secrets.masker.mask(.object(procedure.params))
            return finish(record, .failure(Self.describe(error), result: nil), attempts: 0, logger: stepLogger)
        }
        let context = makeContext(itemIndex: nil, logger: stepLogger)
        let (outcome, attempts) = await attemptWithRetries(module: module, params: params, context: context)
        return finish(record, outcome, attempts: attempts, logger: stepLogger)
    }

    private func makeResolver(_ scope: ReferenceScope) -> ReferenceResolver {
        ReferenceResolver(
            scope: scope, systemVariables: executor.systemVariables,
            request: SystemVariableRequest(runID: runID, triggeredBy: triggeredBy, stepName: procedure.name))
    }

    private func makeContext(itemIndex: Int?, logger: StepLogger) -> StepContext {
        StepContext(
            runID: runID, stepName: procedure.name, itemIndex: itemIndex, logger: logger, session: session,
            invoker: RegistryInvoker(registry: executor.registry), clock: clock,
            results: scope.results, variables: scope.variables, triggeredBy: triggeredBy)
    }

    // MARK: - foreach

    private func runForeach(_ foreach: JSONValue, module: any Module, resolver: ReferenceResolver, logger: StepLogger) async -> StepCompletion {
        var record = self.record
        record.params = secrets.masker.mask(.object(procedure.params))
        let items: [JSONValue]
        do {
            let resolved = try await resolver.resolve(foreach).value
            guard case .array(let array) = resolved else {
                let source = foreach.stringValue ?? "the value"
                return finish(
                    record, .failure("foreach: \(source) is \(ParameterReader.describe(resolved)), not an array", result: nil),
                    attempts: 0, logger: logger)
            }
            items = array
        } catch {
            return finish(record, .failure("foreach: \(Self.describe(error))", result: nil), attempts: 0, logger: logger)
        }
        let limit = max(1, procedure.maxParallel ?? 1)
        var outputs = [JSONValue](repeating: .null, count: items.count)
        var maxAttempts = 0
        var failure: (index: Int, message: String)?
        var cancelled = false

        await withTaskGroup(of: (Int, Attempt, Int).self) { group in
            var nextItem = 0
            func addItem(_ i: Int, to group: inout TaskGroup<(Int, Attempt, Int)>) {
                var itemScope = scope
                itemScope.item = items[i]
                itemScope.index = i
                let itemResolver = makeResolver(itemScope)
                let context = makeContext(itemIndex: i, logger: logger)
                group.addTask {
                    let params: JSONObject
                    do {
                        let resolution = try await itemResolver.resolve(.object(procedure.params))
                        secrets.add(resolution.secrets)
                        params = resolution.value.objectValue ?? [:]
                    } catch {
                        return (i, .failure(Self.describe(error), result: nil), 0)
                    }
                    let (outcome, attempts) = await attemptWithRetries(module: module, params: params, context: context)
                    return (i, outcome, attempts)
                }
            }
            while nextItem < min(limit, items.count) {
                addItem(nextItem, to: &group)
                nextItem += 1
            }
            for await (i, outcome, attempts) in group {
                maxAttempts = max(maxAttempts, attempts)
                switch outcome {
                case .success(let value):
                    outputs[i] = value
                case .failure(let message, _):
                    if failure == nil {
                        failure = (i, message)
                        group.cancelAll()
                    }
                case .cancelled:
                    cancelled = true
                }
                if failure == nil, !cancelled, nextItem < items.count {
                    addItem(nextItem, to: &group)
                    nextItem += 1
                }
            }
        }
        if let failure {
            return finish(record, .failure("item \(failure.index): \(failure.message)", result: nil), attempts: maxAttempts, logger: logger)
        }
        if cancelled || Task.isCancelled {
            return finish(record, .cancelled(result: nil), attempts: maxAttempts, logger: logger)
        }
        return finish(record, .success(["status": true, "data": .array(outputs)]), attempts: maxAttempts, logger: logger)
    }

    // MARK: - Attempts

    /// Calls the module until it succeeds, the retries run out, or the step is cancelled.
    private func attemptWithRetries(module: any Module, params: JSONObject, context: StepContext) async -> (Attempt, Int) {
        let policy = procedure.retry ?? RetryPolicy()
        // `retry: 9223372036854775807` means "until it works"; 1 + Int.max would trap.
        let maxAttempts = policy.count < Int.max ? policy.count + 1 : Int.max
        var attempt = 1
        while true {
            let outcome = await attemptOnce(module: module, params: params, context: context)
            guard case .failure(let message, _) = outcome, attempt < maxAttempts else {
                return (outcome, attempt)
            }
            let delay = policy.delay(afterAttempt: attempt)
            context.logger.warning(
                "attempt \(attempt) of \(maxAttempts) failed: \(message); retrying" + (delay > 0 ? " in \(RunStateFormat.seconds(delay))" : ""))
            do {
                if delay > 0 { try await clock.sleep(for: .seconds(fraction: delay)) }
                try Task.checkCancellation()
            } catch {
                return (.cancelled(result: nil), attempt)
            }
            attempt += 1
        }
    }

    private struct TimedOut: Error {}

    private func attemptOnce(module: any Module, params: JSONObject, context: StepContext) async -> Attempt {
        let method = procedure.method
        do {
            let output: ModuleOutput
            if let timeout = procedure.timeout {
                let clock = self.clock
                output = try await withThrowingTaskGroup(of: ModuleOutput?.self) { group in
                    group.addTask { try await module.call(method, params: params, context: context) }
                    group.addTask {
                        try await clock.sleep(for: .seconds(fraction: timeout))
                        return nil
                    }
                    defer { group.cancelAll() }
                    guard let first = try await group.next(), let output = first else { throw TimedOut() }
                    return output
                }
            } else {
                output = try await module.call(method, params: params, context: context)
            }
            // Only a boolean false fails: the seed's Kt returns the integer 0 as its status.
            if case .bool(false)? = output.result["status"] {
                // A module that answers cancellation with a failure (a killed process) was
                // stopped by the run, not broken: record it cancelled, keeping its result.
                if Task.isCancelled { return .cancelled(result: output.result) }
                return .failure(output.error ?? "the step returned status false", result: output.result)
            }
            return .success(output.result)
        } catch is TimedOut {
            return .failure("timed out after \(RunStateFormat.seconds(procedure.timeout ?? 0))", result: nil)
        } catch {
            if Task.isCancelled { return .cancelled(result: nil) }
            if error is CancellationError {
                return .failure("the module stopped as if cancelled, but the step was not cancelled", result: nil)
            }
            return .failure(Self.describe(error), result: nil)
        }
    }

    // MARK: - Finishing

    private func finish(_ record: StepRecord, _ status: StepStatus, message: String, logger: StepLogger) -> StepCompletion {
        logger.info(message)
        var record = record
        record.status = status
        stamp(&record, logger: logger)
        return StepCompletion(index: index, record: record, outcome: .skipped, contextValue: nil)
    }

    private func finish(_ record: StepRecord, _ outcome: Attempt, attempts: Int, logger: StepLogger) -> StepCompletion {
        var record = record
        record.attempts = attempts
        let completion: RunStateMachine.Outcome
        var contextValue: JSONValue?
        switch outcome {
        case .success(let value):
            record.status = .success
            record.result = value
            contextValue = value
            completion = .succeeded
        case .failure(let message, let result):
            record.status = .failed
            record.result = result
            record.error = secrets.masker.mask(message)
            logger.error(message)
            completion = .failed(stopsRun: onError == .fail)
            if onError == .continue {
                // Later steps can test a tolerated failure: `when: "@step.status == false"`.
                contextValue = result ?? ["status": false, "error": .string(record.error ?? message)]
            }
        case .cancelled(let result):
            record.status = .cancelled
            record.result = result
            completion = .cancelled
        }
        stamp(&record, logger: logger)
        return StepCompletion(index: index, record: record, outcome: completion, contextValue: contextValue)
    }

    private func stamp(_ record: inout StepRecord, logger: StepLogger) {
        let end = clock.now()
        record.endedAt = end
        if let start = record.startedAt {
            record.durationMs = max(0, Int((end.timeIntervalSince(start) * 1000).rounded(.down)))
        }
        record.logs = logger.lines
        if let result = record.result { record.result = secrets.masker.mask(result) }
    }

    static func describe(_ error: any Error) -> String {
        if let localized = error as? any LocalizedError, let text = localized.errorDescription { return text }
        if error is CocoaError || error is POSIXError || type(of: error) is NSError.Type {
            return error.localizedDescription
        }
        return String(describing: error)
    }
}

enum RunStateFormat {
    /// `5 s`, `0.5 s`.
    static func seconds(_ s: Double) -> String {
        s == s.rounded() && abs(s) < 1e15 ? "\(Int(s)) s" : "\(s) s"
    }
}
