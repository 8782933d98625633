import Foundation
import Hummingbird
import Logging
import Synchronization
import WorkFlowEngine
import WorkFlowStore

/// `POST /api/v1/steps/test`: runs one step of a workflow that is being edited, without saving
/// it or recording a run. The caller sends the document as it stands, the step's name, optionally
/// other parameters for it, and results to pin for the steps it reads (`@step.key`); the
/// answer is the step's record: resolved parameters, result, error, log lines, duration.
///
/// Testing runs whatever the caller's document says (a shell command, say), so it needs the
/// permission to write workflows, like saving that document would; a few tests run at once.
struct StepTestController {
    let modules: ModuleLibrary
    /// The modules as last loaded (built-in and custom).
    var registry: ModuleRegistry { modules.registry() }
    let auditor: Auditor
    let clock: any EngineClock
    let logger: Logger

    /// The longest a tested step may take, whatever its own timeout says.
    static let timeLimit: Double = 120
    /// Tests running at once, across callers.
    static let concurrentTests = 4
    let running = TestSlots(capacity: StepTestController.concurrentTests)

    func addRoutes(to routes: RouteTable) {
        routes.add(
            .post, "/api/v1/steps/test",
            "Run one step without saving: {document, step, params?, results?: {step: result}, inputs?}; answers the step's record"
        ) { request, context in
            let identity = try context.require(.write)
            let body = try await request.jsonObject(context: context)
            guard running.take() else {
                throw APIError.tooManyRequests("\(Self.concurrentTests) steps are being tested already; try again in a moment", retryAfterSeconds: 5)
            }
            defer { running.give() }
            let record = try await test(body, actor: identity.actor)
            await auditor.record(
                context, action: "test_step", targetType: "step", targetName: record.name,
                detail: ["module": .string("\(record.module).\(record.method)"), "status": .string(record.status.rawValue)])
            return JSONResponse(Presentation.detailedStep(record))
        }
    }

    func test(_ body: JSONObject, actor: String) async throws -> StepRecord {
        let document = try body.requiredObject("document")
        let name = try body.requiredString("step")
        let workflow = Workflow(document: .object(document))
        guard var step = workflow.procedures.first(where: { $0.name == name }) else {
            throw APIError.invalidField("step", "the document has no step named '\(name)'")
        }
        if let params = body["params"] {
            guard case .object(let object) = params else { throw APIError.invalidField("params", "an object is required") }
            step.params = object
        }
        var pinned: JSONObject = [:]
        if let results = body["results"] {
            guard case .object(let object) = results else { throw APIError.invalidField("results", "an object of step results by name is required") }
            pinned = object
        }
        var inputs: JSONObject = [:]
        if let given = body["inputs"] {
            guard case .object(let object) = given else { throw APIError.invalidField("inputs", "an object is required") }
            inputs = object
        }
        // A step whose result the tested one reads must have a pinned result: unresolved, the
        // reference would stay as its text, and the test would tell nothing.
        let others = Set(workflow.procedures.map(\.name)).subtracting([name])
        let unpinned = Self.stepReferences(in: .object(step.params)).intersection(others).subtracting(pinned.keys).sorted()
        if let first = unpinned.first {
            throw APIError.invalidField(
                "results", "step '\(name)' reads the result of '\(first)'; pin a result for it (results.\(first)) to test the step alone")
        }
        // The pinned steps stand before the tested one as steps that already succeeded, so its
        // references read their results; nothing else of the workflow runs.
        var procedures = pinned.keys.filter { $0 != name }.map { Procedure(name: $0, mod: step.mod, method: step.method, dependsOn: []) }
        step.dependsOn = procedures.map(\.name)
        step.when = nil
        step.whenLiteral = nil
        step.disabled = false
        step.timeout = min(step.timeout ?? Self.timeLimit, Self.timeLimit)
        // One attempt, and the whole test within the limit (foreach items included).
        step.retry = nil
        procedures.append(step)
        var single = workflow
        single.procedures = procedures
        single.timeout = Self.timeLimit
        // Problems of the tested step (its paths are those of the document as sent). The pinned
        // stand-ins never run; whatever is said about them alone is not the caller's problem.
        var standIns = single
        standIns.procedures.removeLast()
        let registry = await modules.registry(for: single)
        let aboutStandIns = Set(standIns.validate(registry: registry).map { "\($0.path)\u{0}\($0.message)" })
        let issues = single.validate(registry: registry).filter { !aboutStandIns.contains("\($0.path)\u{0}\($0.message)") }
        guard issues.isEmpty else { throw APIError.invalidWorkflow(issues) }
        let reused = Dictionary(
            uniqueKeysWithValues: procedures.dropLast().enumerated().map { index, stub in
                (stub.name, StepRecord(name: stub.name, order: index, module: stub.mod, method: stub.method, status: .success, attempts: 1, result: pinned[stub.name]))
            })
        let executor = Executor(registry: registry, clock: clock, logger: logger)
        let result: RunResult
        do {
            result = try await executor.run(single, options: RunOptions(inputs: inputs, triggeredBy: actor, reusedSteps: reused))
        } catch {
            throw APIError.badRequest("invalid inputs: \(error.message)", code: "invalid_inputs")
        }
        guard let record = result.steps.last else { throw APIError.internal() }
        return record
    }

    /// The names of the steps whose results `value` refers to (`@step.key`, `${step.key}`).
    static func stepReferences(in value: JSONValue) -> Set<String> {
        switch value {
        case .string(let text):
            switch try? StringForm(parsing: text) {
            case .reference(let reference)?:
                if case .step(let name) = reference.root { return [name] }
                return []
            case .template(let parts)?:
                return Set(
                    parts.compactMap { part in
                        if case .reference(let reference) = part, case .step(let name) = reference.root { return name }
                        return nil
                    })
            default:
                return []
            }
        case .array(let items):
            return items.reduce(into: Set<String>()) { $0.formUnion(stepReferences(in: $1)) }
        case .object(let object):
            return object.values.reduce(into: Set<String>()) { $0.formUnion(stepReferences(in: $1)) }
        default:
            return []
        }
    }
}

/// A counter of free places, taken and given back without waiting.
final class TestSlots: Sendable {
    private let free: Mutex<Int>

    init(capacity: Int) {
        free = Mutex(capacity)
    }

    /// Takes a place; `false` when none is free.
    func take() -> Bool {
        free.withLock { free in
            guard free > 0 else { return false }
            free -= 1
            return true
        }
    }

    func give() {
        free.withLock { $0 += 1 }
    }
}
