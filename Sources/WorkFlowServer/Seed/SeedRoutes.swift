import Foundation
import Hummingbird
import WorkFlowEngine
import WorkFlowStore

/// The seed's REST API (`/flow`, `/run/<id>`), with its request and answer shapes, its holes
/// fixed: unknown workflows and runs are 404, name clashes 409, invalid documents 400 with every
/// problem, and every route needs credentials.
struct SeedRoutes {
    let store: SQLStore
    let modules: ModuleLibrary
    /// The modules as last loaded (built-in and custom).
    var registry: ModuleRegistry { modules.registry() }
    let runs: RunService
    let auditor: Auditor
    /// How long `POST /flow/<name>/run` waits for the run to end.
    let runTimeout: Duration

    func addRoutes(to routes: RouteTable) {
        routes.add(.get, "/flow", "List every workflow (the seed's rows, deleted ones included)") { _, context in
            try context.require(.read)
            let flows = try await store.listFlows(FlowQuery(includeDeleted: true, limit: 100_000))
            return JSONResponse(["status": true, "data": .array(flows.map(SeedPresentation.flow))])
        }
        routes.add(.post, "/flow", "Create a workflow (the seed's body)") { request, context in try await create(request, context: context) }
        routes.add(.get, "/flow/:name", "Show a workflow (the seed's row)") { _, context in
            try context.require(.read)
            let name = try context.parameters.require("name")
            guard let flow = try await store.flow(named: name) else { throw APIError.notFound("workflow '\(name)' does not exist") }
            return JSONResponse(["status": true, "data": SeedPresentation.flow(flow)])
        }
        routes.add(.put, "/flow/:name", "Update a workflow (the seed's body)") { request, context in try await update(request, context: context) }
        routes.add(.delete, "/flow/:name", "Delete a workflow (renamed <name>_<time>_deleted)") { _, context in
            try context.require(.write)
            let name = try context.parameters.require("name")
            let deletedName = try await store.deleteFlow(name: name, author: context.identity?.actor)
            await auditor.record(context, action: "delete", targetType: "flow", targetName: name, detail: ["deleted_as": .string(deletedName)])
            return JSONResponse(["status": true, "data": ["flow_name": .string(deletedName)]])
        }
        routes.add(.put, "/flow/:name/enable", "Enable a workflow") { _, context in try await setEnabled(true, context: context) }
        routes.add(.put, "/flow/:name/disable", "Disable a workflow") { _, context in try await setEnabled(false, context: context) }
        routes.add(.put, "/flow/:name/rename", "Rename a workflow ({\"new\"} or {\"new_name\"})") { request, context in try await rename(request, context: context) }
        routes.add(.post, "/flow/:name/run", "Run a workflow and wait for the end (the seed's synchronous run)") { request, context in try await run(request, context: context) }
        routes.add(.get, "/flow/:name/runs", "A workflow's runs, newest first (?limit=N)") { request, context in
            try context.require(.read)
            let name = try context.parameters.require("name")
            // The seed fell back to 20 for a limit that was not a number; so do we.
            let limit = request.uri.queryParameters["limit"].flatMap { Int(String($0)) }.map { max(0, min($0, 10_000)) } ?? 20
            let found = try await store.listRuns(RunQuery(flowName: name, limit: limit))
            return JSONResponse(["status": true, "data": .array(found.map { .object(SeedPresentation.run($0)) })])
        }
        routes.add(.get, "/run/:id", "A run with its steps (the seed's rows)") { _, context in
            try context.require(.read)
            let text = try context.parameters.require("id")
            guard let id = Int64(text), let found = try await store.run(id: id) else {
                throw APIError.notFound("Run not found")
            }
            var row = SeedPresentation.run(found)
            row["steps"] = .array(try await store.steps(runID: id).map { SeedPresentation.step($0, runID: id) })
            return JSONResponse(["status": true, "data": .object(row)])
        }
    }

    private func create(_ request: Request, context: AppRequestContext) async throws -> Response {
        try context.require(.write)
        let body = try await seedBody(request, context: context)
        let (name, document) = try FlowDocuments.seedBody(body, urlName: nil)
        let valid = try await FlowDocuments.validated(document, modules: modules)
        let flow = try await store.createFlow(name: name, document: valid, author: context.identity?.actor, comment: "created through the API")
        await auditor.record(context, action: "create", targetType: "flow", targetName: flow.name, detail: ["version": .int(flow.currentVersion)])
        return JSONResponse(["status": true, "data": ["flow_name": .string(flow.name)]], status: .created)
            .response(from: request, context: context)
    }

    private func update(_ request: Request, context: AppRequestContext) async throws -> JSONResponse {
        try context.require(.write)
        let name = try context.parameters.require("name")
        let body = try await seedBody(request, context: context)
        let (_, document) = try FlowDocuments.seedBody(body, urlName: name)
        let valid = try await FlowDocuments.validated(document, modules: modules)
        let flow = try await store.updateFlow(name: name, document: valid, author: context.identity?.actor, comment: "updated through the API")
        await auditor.record(context, action: "update", targetType: "flow", targetName: flow.name, detail: ["version": .int(flow.currentVersion)])
        return JSONResponse(["status": true, "data": ["flow_name": .string(flow.name)]])
    }

    private func setEnabled(_ enabled: Bool, context: AppRequestContext) async throws -> JSONResponse {
        try context.require(.write)
        let name = try context.parameters.require("name")
        let flow = try await store.setEnabled(name: name, enabled: enabled, author: context.identity?.actor)
        await auditor.record(context, action: enabled ? "enable" : "disable", targetType: "flow", targetName: flow.name)
        return JSONResponse(["status": true, "data": ["flow_name": .string(flow.name)]])
    }

    private func rename(_ request: Request, context: AppRequestContext) async throws -> JSONResponse {
        try context.require(.write)
        let name = try context.parameters.require("name")
        let body = try await request.jsonObject(context: context, required: false)
        guard case .string(let newName)? = body["new"] ?? body["new_name"] else {
            throw APIError.badRequest("Request body with \"new\" field is required", code: "invalid_field")
        }
        let flow = try await store.renameFlow(from: name, to: newName, author: context.identity?.actor)
        await auditor.record(context, action: "rename", targetType: "flow", targetName: name, detail: ["new_name": .string(flow.name)])
        return JSONResponse(["status": true, "data": ["flow_name": .string(flow.name)]])
    }

    /// Runs synchronously, as the seed did: the answer comes when the run has ended (or after
    /// the run timeout, with the run still going and `status: false`).
    private func run(_ request: Request, context: AppRequestContext) async throws -> JSONResponse {
        let identity = try context.require(.run)
        let name = try context.parameters.require("name")
        // The seed parsed this body silently: anything but a JSON object with trigger_by is ignored.
        let body = (try? await request.jsonObject(context: context, required: false)) ?? [:]
        let triggeredBy = body["trigger_by"]?.stringValue ?? identity.actor
        let started = try await runs.start(flowName: name, inputs: [:], trigger: .api, triggeredBy: triggeredBy)
        await auditor.record(context, action: "run", targetType: "flow", targetName: name, detail: ["run_id": .int(Int(started.id))])
        let ended = try await runs.waitForEnd(runID: started.id, timeout: runTimeout)
        guard ended, let finished = try await store.run(id: started.id) else {
            return JSONResponse([
                "status": false, "run_id": .int(Int(started.id)), "data": [:],
                "error": .string("the run is still going after \(runTimeout); follow it at /run/\(started.id)"),
            ])
        }
        let steps = try await store.steps(runID: started.id)
        let context = SeedPresentation.context(steps: steps, document: try await store.runDocument(id: started.id))
        var answer: JSONObject = ["status": .bool(finished.status == .success), "run_id": .int(Int(started.id)), "data": .object(context)]
        if let error = finished.error { answer["error"] = .string(error) }
        return JSONResponse(.object(answer))
    }

    /// The seed required a body on create and update.
    private func seedBody(_ request: Request, context: AppRequestContext) async throws(APIError) -> JSONObject {
        guard let body = try await request.jsonBody(context: context) else {
            throw APIError.badRequest("Request body is required", code: "missing_body")
        }
        guard case .object(let object) = body else {
            throw APIError.badRequest("the body must be a JSON object, not a \(body.typeName)", code: "invalid_body")
        }
        return object
    }
}
