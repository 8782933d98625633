import Foundation
import Hummingbird
import WorkFlowEngine
import WorkFlowStore

/// `/api/v1/flows`: workflows, their versions, diffs and restores, and validation.
struct FlowsController {
    let store: SQLStore
    let modules: ModuleLibrary
    /// The modules as last loaded (built-in and custom).
    var registry: ModuleRegistry { modules.registry() }
    let auditor: Auditor

    func addRoutes(to routes: RouteTable) {
        routes.add(.get, "/api/v1/flows", "List workflows (?q=&enabled=&limit=&offset=)") { request, context in try await list(request, context: context) }
        routes.add(.post, "/api/v1/flows", "Create a workflow: {name, document, comment?}") { request, context in try await create(request, context: context) }
        routes.add(.post, "/api/v1/flows/validate", "Check a document without storing it") { request, context in try await validate(request, context: context) }
        routes.add(.get, "/api/v1/flows/:name", "A workflow with its document") { _, context in
            try context.require(.read)
            return JSONResponse(Presentation.json(try await flow(context)))
        }
        routes.add(.put, "/api/v1/flows/:name", "Update a workflow: {document, comment?}") { request, context in try await update(request, context: context) }
        routes.add(.delete, "/api/v1/flows/:name", "Delete a workflow (soft)") { _, context in
            try context.require(.write)
            let name = try context.parameters.require("name")
            let deletedName = try await store.deleteFlow(name: name, author: context.identity?.actor)
            await auditor.record(context, action: "delete", targetType: "flow", targetName: name, detail: ["deleted_as": .string(deletedName)])
            return JSONResponse(["name": .string(name), "deleted_as": .string(deletedName)])
        }
        routes.add(.post, "/api/v1/flows/:name/rename", "Rename a workflow: {new_name}") { request, context in try await rename(request, context: context) }
        routes.add(.put, "/api/v1/flows/:name/run-settings", "Set how runs queue: {max_concurrent_runs: n|null, on_interrupt: fail|retry}") {
            request, context in try await setRunSettings(request, context: context)
        }
        routes.add(.post, "/api/v1/flows/:name/enable", "Enable a workflow") { _, context in try await setEnabled(true, context: context) }
        routes.add(.post, "/api/v1/flows/:name/disable", "Disable a workflow") { _, context in try await setEnabled(false, context: context) }
        routes.add(.get, "/api/v1/flows/:name/versions", "A workflow's versions, newest first") { _, context in
            try context.require(.read)
            let versions = try await store.versions(of: try context.parameters.require("name"))
            return JSONResponse(["items": .array(versions.map { Presentation.json($0, document: false) })])
        }
        routes.add(.get, "/api/v1/flows/:name/versions/:version", "One version with its document") { _, context in
            try context.require(.read)
            let version = try await store.version(
                try context.parameters.versionNumber("version"), of: try context.parameters.require("name"))
            return JSONResponse(Presentation.json(version))
        }
        routes.add(.post, "/api/v1/flows/:name/versions/:version/restore", "Restore a version as a new version") { _, context in
            try context.require(.write)
            let name = try context.parameters.require("name")
            let number = try context.parameters.versionNumber("version")
            let flow = try await store.restoreVersion(number, of: name, author: context.identity?.actor)
            await auditor.record(
                context, action: "restore", targetType: "flow", targetName: name,
                detail: ["restored_version": .int(number), "version": .int(flow.currentVersion)])
            return JSONResponse(Presentation.json(flow))
        }
        routes.add(.get, "/api/v1/flows/:name/diff", "A line diff of two versions (?from=&to=)") { request, context in
            try context.require(.read)
            let name = try context.parameters.require("name")
            let from = try request.integerQuery("from", default: 0, in: 1...Int(Int32.max))
            let to = try request.integerQuery("to", default: 0, in: 1...Int(Int32.max))
            guard from > 0, to > 0 else { throw APIError.invalidField(from > 0 ? "to" : "from", "a version number is required") }
            let diff = try await store.diff(of: name, from: from, to: to)
            return JSONResponse(["name": .string(name), "from": .int(from), "to": .int(to), "diff": .string(diff)])
        }
    }

    private func flow(_ context: AppRequestContext) async throws -> StoredFlow {
        let name = try context.parameters.require("name")
        guard let flow = try await store.flow(named: name), !flow.deleted else { throw APIError.notFound("workflow '\(name)' does not exist") }
        return flow
    }

    private func list(_ request: Request, context: AppRequestContext) async throws -> JSONResponse {
        try context.require(.read)
        let paging = try Paging(request)
        let enabled: Bool?
        switch request.textQuery("enabled") {
        case nil: enabled = nil
        case "true": enabled = true
        case "false": enabled = false
        case let other?: throw APIError.invalidField("enabled", "'\(other)' is not true or false")
        }
        let flows = try await store.listFlows(
            FlowQuery(text: request.textQuery("q"), enabled: enabled, limit: paging.probeLimit, offset: paging.offset))
        return paging.page(flows.map { Presentation.json($0, document: false) })
    }

    private func create(_ request: Request, context: AppRequestContext) async throws -> Response {
        try context.require(.write)
        let body = try await request.jsonObject(context: context)
        let name = try body.requiredString("name")
        let document = try await FlowDocuments.validated(try body.requiredObject("document"), modules: modules)
        let flow = try await store.createFlow(
            name: name, document: document, author: context.identity?.actor, comment: try body.optionalString("comment"))
        await auditor.record(context, action: "create", targetType: "flow", targetName: flow.name, detail: ["version": .int(flow.currentVersion)])
        return JSONResponse(Presentation.json(flow), status: .created).response(from: request, context: context)
    }

    private func update(_ request: Request, context: AppRequestContext) async throws -> JSONResponse {
        try context.require(.write)
        let name = try context.parameters.require("name")
        let body = try await request.jsonObject(context: context)
        let document = try await FlowDocuments.validated(try body.requiredObject("document"), modules: modules)
        let flow = try await store.updateFlow(
            name: name, document: document, author: context.identity?.actor, comment: try body.optionalString("comment"))
        await auditor.record(context, action: "update", targetType: "flow", targetName: flow.name, detail: ["version": .int(flow.currentVersion)])
        return JSONResponse(Presentation.json(flow))
    }

    private func rename(_ request: Request, context: AppRequestContext) async throws -> JSONResponse {
        try context.require(.write)
        let name = try context.parameters.require("name")
        let newName = try await request.jsonObject(context: context).requiredString("new_name")
        let flow = try await store.renameFlow(from: name, to: newName, author: context.identity?.actor)
        await auditor.record(context, action: "rename", targetType: "flow", targetName: name, detail: ["new_name": .string(flow.name)])
        return JSONResponse(Presentation.json(flow, document: false))
    }

    private func setEnabled(_ enabled: Bool, context: AppRequestContext) async throws -> JSONResponse {
        try context.require(.write)
        let name = try context.parameters.require("name")
        let flow = try await store.setEnabled(name: name, enabled: enabled, author: context.identity?.actor)
        await auditor.record(context, action: enabled ? "enable" : "disable", targetType: "flow", targetName: flow.name)
        return JSONResponse(Presentation.json(flow, document: false))
    }

    /// `max_concurrent_runs` (a positive number, or null for no limit) and `on_interrupt`; fields
    /// left out keep their value. No new version: these are not part of the document.
    private func setRunSettings(_ request: Request, context: AppRequestContext) async throws -> JSONResponse {
        try context.require(.write)
        let name = try context.parameters.require("name")
        let body = try await request.jsonObject(context: context)
        guard let flow = try await store.flow(named: name), !flow.deleted else { throw APIError.notFound("workflow '\(name)' does not exist") }
        var settings = flow.runSettings
        switch body["max_concurrent_runs"] {
        case nil: break
        case .null?: settings.maxConcurrentRuns = nil
        case .int(let limit)? where limit >= 1: settings.maxConcurrentRuns = limit
        case let other?: throw APIError.invalidField("max_concurrent_runs", "must be a whole number of at least 1, or null; got \(JSONWriter.string(from: other))")
        }
        if let text = try body.optionalString("on_interrupt") {
            guard let policy = InterruptPolicy(rawValue: text) else {
                throw APIError.invalidField("on_interrupt", "'\(text)' is not one of fail, retry")
            }
            settings.onInterrupt = policy
        }
        let updated = try await store.setRunSettings(name: name, settings, author: context.identity?.actor)
        await auditor.record(
            context, action: "update", targetType: "flow_run_settings", targetName: name,
            detail: [
                "max_concurrent_runs": settings.maxConcurrentRuns.map { .int($0) } ?? .null,
                "on_interrupt": .string(settings.onInterrupt.rawValue),
            ])
        return JSONResponse(Presentation.json(updated, document: false))
    }

    /// Checks a document without storing it: `{"valid", "issues": [{"path", "message"}]}`.
    private func validate(_ request: Request, context: AppRequestContext) async throws -> JSONResponse {
        try context.require(.read)
        let body = try await request.jsonObject(context: context)
        let workflow = Workflow(document: .object(try body.requiredObject("document")))
        let issues = workflow.validate(registry: await modules.registry(for: workflow))
        return JSONResponse([
            "valid": .bool(issues.isEmpty),
            "issues": .array(issues.map { ["path": .string($0.path), "message": .string($0.message)] }),
        ])
    }
}
