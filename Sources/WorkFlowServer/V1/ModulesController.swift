import Foundation
import Hummingbird
import WorkFlowEngine
import WorkFlowModules
import WorkFlowStore

/// `/api/v1/modules` and `/api/v1/module-categories`: the registry (built-in and custom
/// modules), custom module sources with versions, and categories; plus the seed's
/// `/modules/api/registry/` and `/modules/api/introspect/<category>/<name>/`.
struct ModulesController {
    let modules: ModuleLibrary
    let auditor: Auditor

    var store: SQLStore { modules.store }

    func addRoutes(to routes: RouteTable) {
        routes.add(.get, "/api/v1/modules", "The module registry: built-in and custom modules with their descriptors") { _, context in
            try context.require(.read)
            try await modules.refresh()
            return JSONResponse(["items": .array(try await listing())])
        }
        routes.add(.post, "/api/v1/modules", "Create a custom module: {category, name, source?, comment?}; without source the seed's skeleton") {
            request, context in
            try await create(request, context: context)
        }
        routes.add(.get, "/api/v1/modules/:name", "One module: descriptor, and for a custom module its source, version and problems") { _, context in
            try context.require(.read)
            return JSONResponse(try await detail(try context.parameters.require("name")))
        }
        routes.add(.put, "/api/v1/modules/:name", "Save a custom module's source as a new version: {source, comment?}") { request, context in
            try await update(request, context: context)
        }
        routes.add(.delete, "/api/v1/modules/:name", "Delete a custom module (refused while a workflow calls it)") { request, context in
            try context.require(.write)
            let (category, name) = try split(try context.parameters.require("name"))
            do {
                try await modules.delete(category: category, name: name)
            } catch let error as ModuleChangeError {
                throw Self.apiError(error)
            }
            await auditor.record(context, action: "delete", targetType: "module", targetName: "\(category).\(name)")
            return Response(status: .noContent)
        }
        routes.add(.get, "/api/v1/modules/:name/versions", "A custom module's versions, newest first (without sources)") { _, context in
            try context.require(.read)
            let (category, name) = try split(try context.parameters.require("name"))
            let versions = try await store.moduleVersions(category: category, name: name)
            return JSONResponse(["items": .array(versions.map { Self.json($0, source: false) })])
        }
        routes.add(.get, "/api/v1/modules/:name/versions/:number", "One version of a custom module, with its source") { _, context in
            try context.require(.read)
            let (category, name) = try split(try context.parameters.require("name"))
            let number = try Self.versionNumber(context.parameters.require("number"), field: "number")
            return JSONResponse(Self.json(try await store.moduleVersion(number, category: category, name: name), source: true))
        }
        routes.add(.get, "/api/v1/modules/:name/diff", "Unified diff of two versions: ?from=N&to=M") { request, context in
            try context.require(.read)
            let (category, name) = try split(try context.parameters.require("name"))
            let from = try Self.versionNumber(request.uri.queryParameters.get("from") ?? "", field: "from")
            let to = try Self.versionNumber(request.uri.queryParameters.get("to") ?? "", field: "to")
            let diff = try await store.moduleDiff(category: category, name: name, from: from, to: to)
            return JSONResponse(["from": .int(from), "to": .int(to), "diff": .string(diff)])
        }
        routes.add(.post, "/api/v1/modules/:name/versions/:number/restore", "Make an old version current again, as a new version") { _, context in
            try context.require(.write)
            let (category, name) = try split(try context.parameters.require("name"))
            let number = try Self.versionNumber(context.parameters.require("number"), field: "number")
            let module = try await modules.restore(version: number, category: category, name: name, author: context.identity?.actor)
            await auditor.record(
                context, action: "restore", targetType: "module", targetName: module.qualifiedName,
                detail: ["restored_version": .int(number), "version": .int(module.currentVersion)])
            return JSONResponse(try await detail(module.qualifiedName))
        }
        routes.add(.get, "/api/v1/module-categories", "Module categories, with their modules' names; core categories hold built-in modules") { _, context in
            try context.require(.read)
            return JSONResponse(["items": .array(try await categories())])
        }
        routes.add(.post, "/api/v1/module-categories", "Create an empty category: {name}") { request, context in
            try context.require(.write)
            let name = try await request.jsonObject(context: context).requiredString("name")
            let category = try await modules.createCategory(name, author: context.identity?.actor)
            await auditor.record(context, action: "create", targetType: "category", targetName: category.name)
            return JSONResponse(["name": .string(category.name), "modules": [], "core": false], status: .created)
                .response(from: request, context: context)
        }
        routes.add(.patch, "/api/v1/module-categories/:name", "Rename a category: {new_name}; refused for core categories and while workflows call its modules") {
            request, context in
            try context.require(.write)
            let name = try context.parameters.require("name")
            let newName = try await request.jsonObject(context: context).requiredString("new_name")
            do {
                try await modules.renameCategory(name, to: newName)
            } catch let error as ModuleChangeError {
                throw Self.apiError(error)
            }
            await auditor.record(context, action: "rename", targetType: "category", targetName: "\(name) → \(newName)")
            return JSONResponse(["name": .string(newName)])
        }
        routes.add(.delete, "/api/v1/module-categories/:name", "Delete an empty category") { _, context in
            try context.require(.write)
            let name = try context.parameters.require("name")
            do {
                try await modules.deleteCategory(name)
            } catch let error as ModuleChangeError {
                throw Self.apiError(error)
            }
            await auditor.record(context, action: "delete", targetType: "category", targetName: name)
            return Response(status: .noContent)
        }
        routes.add(.get, "/modules/api/registry/", "The seed's module registry: categories → modules → methods with parameter schemas") { _, context in
            try context.require(.read)
            try await modules.refresh()
            return JSONResponse(SeedRegistry.json(modules.registry(), library: modules))
        }
        routes.add(.get, "/modules/api/introspect/:category/:name/", "The seed's introspection of one module") { _, context in
            try context.require(.read)
            let qualified = "\(try context.parameters.require("category")).\(try context.parameters.require("name"))"
            guard let descriptor = modules.registry().module(named: qualified)?.descriptor else {
                return JSONResponse(["error": "Module not found"], status: .notFound)
            }
            return JSONResponse(SeedRegistry.module(descriptor))
        }
    }

    // MARK: - Handlers

    private func create(_ request: Request, context: AppRequestContext) async throws -> Response {
        try context.require(.write)
        let body = try await request.jsonObject(context: context)
        let category = try body.requiredString("category")
        let name = try body.requiredString("name")
        let source = try body.optionalString("source") ?? SeedRegistry.skeleton(name: name)
        let saved = try await save(category: category, name: name, source: source, comment: try body.optionalString("comment"), new: true, context: context)
        return JSONResponse(saved, status: .created).response(from: request, context: context)
    }

    private func update(_ request: Request, context: AppRequestContext) async throws -> JSONResponse {
        try context.require(.write)
        let (category, name) = try split(try context.parameters.require("name"))
        let body = try await request.jsonObject(context: context)
        guard try await store.module(category: category, name: name) != nil else {
            throw APIError.notFound("module '\(category).\(name)' does not exist")
        }
        return JSONResponse(
            try await save(
                category: category, name: name, source: try body.requiredString("source"), comment: try body.optionalString("comment"), new: false,
                context: context))
    }

    private func save(category: String, name: String, source: String, comment: String?, new: Bool, context: AppRequestContext) async throws -> JSONValue {
        let result: (outcome: ModuleSaveOutcome, inspection: ModuleInspection)
        do {
            result = try await modules.save(
                category: category, name: name, source: source, author: context.identity?.actor, comment: comment, mustBeNew: new)
        } catch let error as ModuleChangeError {
            throw Self.apiError(error)
        }
        let module = result.outcome.module
        let changed: String
        switch result.outcome {
        case .created: changed = "created"
        case .updated: changed = "updated"
        case .unchanged: changed = "unchanged"
        }
        if changed != "unchanged" {
            await auditor.record(
                context, action: changed == "created" ? "create" : "update", targetType: "module", targetName: module.qualifiedName,
                detail: ["version": .int(module.currentVersion)])
        }
        var answer = try await detail(module.qualifiedName).objectValue ?? [:]
        answer["change"] = .string(changed)
        return .object(answer)
    }

    // MARK: - Presentation

    private func listing() async throws -> [JSONValue] {
        let stored = Dictionary(try await store.modules().map { ($0.qualifiedName, $0) }, uniquingKeysWith: { first, _ in first })
        let registry = modules.registry()
        let problems = modules.problems()
        var items: [JSONValue] = registry.descriptors.map { descriptor in
            var item = Presentation.json(descriptor).objectValue ?? [:]
            item["core"] = .bool(modules.isCore(descriptor.name))
            item["kind"] = .string(modules.isCore(descriptor.name) ? "builtin" : stored[descriptor.name] != nil ? "python" : "executable")
            if let module = stored[descriptor.name] {
                item["version"] = .int(module.currentVersion)
                item["updated_at"] = .string(Presentation.timestamp(module.updatedAt))
            }
            return .object(item)
        }
        // Stored modules that cannot be called now, with the reason.
        for (name, problem) in problems.sorted(by: { $0.key < $1.key }) {
            items.append([
                "name": .string(name), "doc": "", "methods": [], "core": false, "kind": "python",
                "version": stored[name].map { .int($0.currentVersion) } ?? .null, "problem": Self.json(problem),
            ])
        }
        return items
    }

    private func detail(_ qualified: String) async throws -> JSONValue {
        let registry = modules.registry()
        if modules.isCore(qualified), let descriptor = registry.module(named: qualified)?.descriptor {
            var item = Presentation.json(descriptor).objectValue ?? [:]
            item["core"] = true
            item["kind"] = "builtin"
            return .object(item)
        }
        let (category, name) = try split(qualified)
        guard let module = try await store.module(category: category, name: name) else {
            if let descriptor = registry.module(named: qualified)?.descriptor {
                var item = Presentation.json(descriptor).objectValue ?? [:]
                item["core"] = false
                item["kind"] = "executable"
                return .object(item)
            }
            throw APIError.notFound("module '\(qualified)' does not exist")
        }
        let inspection = ModuleInspection(json: module.inspection ?? .null)
        let descriptor = inspection.descriptor(named: qualified)
        var item = descriptor.map { Presentation.json($0).objectValue ?? [:] } ?? ["name": .string(qualified), "doc": "", "methods": []]
        item["core"] = false
        item["kind"] = "python"
        item["category"] = .string(module.category)
        item["version"] = .int(module.currentVersion)
        item["source"] = .string(module.source)
        item["source_hash"] = .string(module.sourceHash)
        item["created_at"] = .string(Presentation.timestamp(module.createdAt))
        item["updated_at"] = .string(Presentation.timestamp(module.updatedAt))
        item["created_by"] = module.createdBy.map { .string($0) } ?? .null
        item["updated_by"] = module.updatedBy.map { .string($0) } ?? .null
        item["problem"] = inspection.problem.map(Self.json) ?? .null
        item["used_by"] = .array(try await modules.workflows(using: [qualified]).map { .string($0) })
        return .object(item)
    }

    private func categories() async throws -> [JSONValue] {
        var members: [String: [String]] = [:]
        for name in modules.registry().names {
            guard let dot = name.firstIndex(of: ".") else { continue }
            members[String(name[..<dot]), default: []].append(String(name[name.index(after: dot)...]))
        }
        for module in try await store.modules() where !(members[module.category]?.contains(module.name) ?? false) {
            members[module.category, default: []].append(module.name)
        }
        for category in try await store.moduleCategories() where members[category.name] == nil {
            members[category.name] = []
        }
        return members.keys.sorted().map { category in
            [
                "name": .string(category), "core": .bool(modules.isCoreCategory(category)),
                "modules": .array((members[category] ?? []).sorted().map { .string($0) }),
            ]
        }
    }

    static func json(_ version: ModuleVersion, source: Bool) -> JSONValue {
        var item: JSONObject = [
            "module": .string("\(version.category).\(version.name)"), "number": .int(version.number),
            "author": version.author.map { .string($0) } ?? .null, "comment": version.comment.map { .string($0) } ?? .null,
            "created_at": .string(Presentation.timestamp(version.createdAt)), "source_hash": .string(version.sourceHash),
        ]
        if source { item["source"] = .string(version.source) }
        return .object(item)
    }

    static func json(_ problem: ModuleProblem) -> JSONValue {
        [
            "kind": .string(problem.kind), "message": .string(problem.message), "line": problem.line.map { .int($0) } ?? .null,
            "column": problem.column.map { .int($0) } ?? .null, "text": problem.text.map { .string($0) } ?? .null,
            "traceback": problem.traceback.map { .string($0) } ?? .null, "description": .string(problem.description),
        ]
    }

    /// Module errors as API errors: a syntax error is a 400 whose details hold the line and column.
    static func apiError(_ error: ModuleChangeError) -> APIError {
        switch error {
        case .syntax(let problem):
            APIError.badRequest(problem.description, code: "module_syntax", details: ["field": "source", "problem": json(problem)])
        case .core(let message):
            APIError(.forbidden, code: "core_module", message: message)
        case .inUse(_, let workflows):
            APIError(.conflict, code: "module_in_use", message: error.description, details: ["workflows": .array(workflows.map { .string($0) })])
        case .noPython(let message):
            APIError(.serviceUnavailable, code: "python_unavailable", message: message)
        }
    }

    private func split(_ qualified: String) throws(APIError) -> (String, String) {
        guard let dot = qualified.firstIndex(of: "."), !qualified[qualified.index(after: dot)...].contains(".") else {
            throw APIError.invalidField("name", "'\(qualified)' is not category.Name")
        }
        return (String(qualified[..<dot]), String(qualified[qualified.index(after: dot)...]))
    }

    private static func versionNumber(_ text: String, field: String) throws(APIError) -> Int {
        guard let number = Int(text), number >= 1 else { throw APIError.invalidField(field, "'\(text)' is not a version number (1, 2, ...)") }
        return number
    }
}
