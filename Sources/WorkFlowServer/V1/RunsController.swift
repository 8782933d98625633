import Foundation
import Hummingbird
import WorkFlowEngine
import WorkFlowStore

/// `/api/v1/runs` and `/api/v1/flows/<name>/runs`: start, follow, list, cancel and re-run runs.
struct RunsController {
    let store: SQLStore
    let runs: RunService
    let auditor: Auditor
    /// The longest `?wait=` accepted, in seconds.
    static let maximumWait = 300

    func addRoutes(to routes: RouteTable) {
        routes.add(.post, "/api/v1/flows/:name/runs", "Start a run: {inputs?}; 202, or 200 with ?wait=S when it ends in time") { request, context in
            let identity = try context.require(.run)
            let name = try context.parameters.require("name")
            let body = try await request.jsonObject(context: context, required: false)
            let inputs = try body.optionalObject("inputs") ?? [:]
            let run = try await runs.start(flowName: name, inputs: inputs, trigger: .api, triggeredBy: identity.actor)
            await auditor.record(context, action: "run", targetType: "flow", targetName: name, detail: ["run_id": .int(Int(run.id))])
            return try await answer(started: run, request: request, context: context)
        }
        routes.add(.get, "/api/v1/runs", "List runs (?flow=&status=&limit=&offset=)") { request, context in
            try context.require(.read)
            let paging = try Paging(request)
            var status: RunStatus?
            if let text = request.textQuery("status") {
                guard let parsed = RunStatus(rawValue: text) else {
                    throw APIError.invalidField("status", "'\(text)' is not one of \(RunStatus.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                status = parsed
            }
            let found = try await store.listRuns(
                RunQuery(flowName: request.textQuery("flow"), status: status, limit: paging.probeLimit, offset: paging.offset))
            return paging.page(found.map { Presentation.json($0) })
        }
        routes.add(.get, "/api/v1/runs/:id", "A run with its steps and their log lines") { _, context in
            try context.require(.read)
            return JSONResponse(try await detail(try context.parameters.runID()))
        }
        routes.add(.post, "/api/v1/runs/:id/cancel", "Cancel a run") { _, context in
            try context.require(.run)
            let id = try context.parameters.runID()
            guard let run = try await store.run(id: id) else { throw APIError.notFound("run \(id) does not exist") }
            guard run.status == .running || run.status == .queued else {
                throw APIError(.conflict, code: "run_ended", message: "run \(id) has already ended (\(run.status.rawValue))")
            }
            if case .alreadyEnded(let status) = try await runs.cancel(runID: id, reason: "cancelled by \(context.identity?.actor ?? "?")") {
                throw APIError(.conflict, code: "run_ended", message: "run \(id) has already ended (\(status.rawValue))")
            }
            await auditor.record(context, action: "cancel", targetType: "run", targetName: String(id))
            _ = try await runs.waitForEnd(runID: id, timeout: .seconds(10))
            return JSONResponse(try await detail(id))
        }
        routes.add(.post, "/api/v1/runs/:id/rerun", "Run again with the same inputs: ?from=start (the current version) or ?from=failed (the same snapshot, keeping the steps that succeeded)") { request, context in
            let identity = try context.require(.run)
            let id = try context.parameters.runID()
            let run: StoredRun
            switch request.textQuery("from") {
            case nil, "start":
                guard let previous = try await store.run(id: id) else { throw APIError.notFound("run \(id) does not exist") }
                run = try await runs.start(flowName: previous.flowName, inputs: previous.inputs, trigger: .api, triggeredBy: identity.actor)
            case "failed":
                run = try await runs.resume(runID: id, triggeredBy: identity.actor)
            case let other?:
                throw APIError.invalidField("from", "'\(other)' is not one of start, failed")
            }
            await auditor.record(
                context, action: "rerun", targetType: "run", targetName: String(id), detail: ["run_id": .int(Int(run.id))])
            return try await answer(started: run, request: request, context: context)
        }
    }

    /// 202 with the run as it is now, or — with `?wait=SECONDS` and a run that ends in time —
    /// 200 with its outcome and steps.
    private func answer(started run: StoredRun, request: Request, context: AppRequestContext) async throws -> Response {
        let wait = try request.integerQuery("wait", default: 0, in: 0...Self.maximumWait)
        if wait > 0, try await runs.waitForEnd(runID: run.id, timeout: .seconds(wait)) {
            return JSONResponse(try await detail(run.id)).response(from: request, context: context)
        }
        // Without a wait the run was queued a moment ago; after one, it may have started since.
        let current = wait > 0 ? try await store.run(id: run.id) ?? run : run
        return JSONResponse(Presentation.json(current), status: .accepted, headers: [.location: "/api/v1/runs/\(run.id)"])
            .response(from: request, context: context)
    }

    private func detail(_ id: Int64) async throws -> JSONValue {
        guard let run = try await store.run(id: id) else { throw APIError.notFound("run \(id) does not exist") }
        return Presentation.json(run, steps: try await store.steps(runID: id))
    }
}
