import Foundation
import Hummingbird
import WorkFlowEngine
import WorkFlowModules
import WorkFlowStore

/// One module: its page, its source as a file, deleting it, and the editor with its save.
extension ModulePages {
    /// How many of the workflows that use a module its page lists by name.
    static let usedByShown = 50

    func show(_ page: PageRequest) async throws -> Response {
        let (category, name) = try moduleParameters(page)
        let qualified = "\(category).\(name)"
        await refreshQuietly()
        let canWrite = page.identity?.allows(.write) == true
        let users = try await library.workflows(using: [qualified])
        let look = ModuleLook.of(category: category, name: name)
        var model = ModulePage(
            frame: page.frame(qualified), qualifiedName: qualified, category: category, name: name, path: Self.path(category, name), look: look,
            description: "", hasDescription: false, kindText: "", isCore: false, isCustom: false, isExecutable: false, facts: [], source: "",
            hasSource: false, inspection: ModuleInspectionPanel(doc: "", problem: nil, methods: [], linksToSource: false),
            usedBy: users.prefix(Self.usedByShown).map(WorkflowLink.init),
            usedText: users.isEmpty
                ? "No workflow uses this module."
                : "Used by \(users.count) workflow\(users.count == 1 ? "" : "s")"
                    + (users.count > Self.usedByShown ? " (the first \(Self.usedByShown) listed)" : "") + ":",
            isUsed: !users.isEmpty, canEdit: false)
        if let descriptor = library.builtins.module(named: qualified)?.descriptor {
            model.isCore = true
            model.kindText = "Built into WorkFlow: read-only, always available."
            model.inspection = .make(descriptor: descriptor)
            model.description = descriptor.doc
        } else if let module = try await library.store.module(category: category, name: name) {
            let time = await web.displayTime()
            let problem = library.problems()[qualified] ?? module.inspection.flatMap { ModuleInspection(json: $0).problem }
            model.isCustom = true
            model.canEdit = canWrite
            model.kindText = "A custom Python module, stored with its versions."
            model.inspection = .make(inspection: module.inspection, problem: problem, linksToSource: true)
            model.description = module.inspection.flatMap { ModuleInspection(json: $0).module?["description"]?.stringValue } ?? ""
            model.source = module.source
            model.hasSource = true
            let lines = module.source.split(separator: "\n", omittingEmptySubsequences: false).count
            model.facts = [
                ModuleFact(label: "Version", value: "v\(module.currentVersion)"),
                ModuleFact(label: "Changed", value: time.text(module.updatedAt) + (module.updatedBy.map { " by \($0)" } ?? "")),
                ModuleFact(label: "Created", value: time.text(module.createdAt) + (module.createdBy.map { " by \($0)" } ?? "")),
                ModuleFact(label: "Size", value: "\(lines) line\(lines == 1 ? "" : "s"), \(module.source.utf8.count) bytes"),
            ]
        } else if let executable = library.executableModules().first(where: { $0.name == qualified }),
            let descriptor = library.registry().module(named: qualified)?.descriptor
        {
            model.isExecutable = true
            model.kindText = "An executable in the modules folder, described by itself."
            model.inspection = .make(descriptor: descriptor)
            model.description = descriptor.doc
            model.facts = [ModuleFact(label: "File", value: executable.path)]
        } else {
            throw Self.notFound(qualified)
        }
        model.description = model.description.split(separator: "\n", maxSplits: 1).first.map(String.init) ?? ""
        model.hasDescription = !model.description.isEmpty
        // The heading shows the first line; the docstring below only when it says more.
        if model.inspection.doc.trimmingCharacters(in: .whitespacesAndNewlines) == model.description { model.inspection.hasDoc = false }
        return pages.response(model)
    }

    /// The current source as a `.py` file.
    func download(_ page: PageRequest) async throws -> Response {
        let (category, name) = try moduleParameters(page)
        guard let module = try await library.store.module(category: category, name: name) else { throw Self.notFound("\(category).\(name)") }
        var headers = PageRenderer.pageHeaders
        headers[.contentType] = "text/x-python; charset=utf-8"
        headers[.contentDisposition] = "attachment; filename=\"\(name).py\""
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: module.source)))
    }

    // MARK: - Delete

    func deleteForm(_ page: PageRequest) async throws -> Response {
        let module = try await customModule(page, action: "deleted")
        let users = try await library.workflows(using: [module.qualifiedName])
        return pages.response(deleteModel(page, module, users: users, error: nil))
    }

    func delete(_ page: PageRequest) async throws -> Response {
        let module = try await customModule(page, action: "deleted")
        do {
            try await library.delete(category: module.category, name: module.name)
        } catch {
            let refusal = try Self.apiError(error)
            var users: [String] = []
            if case ModuleChangeError.inUse(_, let workflows) = error { users = workflows }
            let message = users.isEmpty ? AccountPages.sentence(refusal.message) : "\(module.qualifiedName) cannot be deleted while workflows use it."
            return pages.response(deleteModel(page, module, users: users, error: message), status: refusal.status)
        }
        await auditor.record(
            page.context, action: "delete", targetType: "module", targetName: module.qualifiedName, detail: ["version": .int(module.currentVersion)])
        return .redirect(
            to: "/modules/#category-\(module.category)", flashes: [Flash(kind: .success, text: "Module \"\(module.qualifiedName)\" deleted.")],
            secureCookies: web.secureCookies)
    }

    private func deleteModel(_ page: PageRequest, _ module: StoredModule, users: [String], error: String?) -> ModuleDeletePage {
        ModuleDeletePage(
            frame: page.frame("Delete \(module.qualifiedName)"), qualifiedName: module.qualifiedName, path: Self.path(module.category, module.name),
            usedBy: users.map(WorkflowLink.init), isUsed: !users.isEmpty, error: error ?? "", hasError: error != nil)
    }

    // MARK: - Editor

    func editor(_ page: PageRequest) async throws -> Response {
        let module = try await customModule(page, action: "edited")
        await refreshQuietly()
        return pages.response(editorModel(page, module, source: module.source, comment: "", refusal: nil))
    }

    private func editorModel(_ page: PageRequest, _ module: StoredModule, source: String, comment: String, refusal: (String, ModuleProblem?)?)
        -> ModuleEditorPage
    {
        let problem = library.problems()[module.qualifiedName] ?? module.inspection.flatMap { ModuleInspection(json: $0).problem }
        return ModuleEditorPage(
            frame: page.frame("Edit \(module.qualifiedName)"), qualifiedName: module.qualifiedName, path: Self.path(module.category, module.name),
            version: module.currentVersion, source: source, comment: comment,
            inspection: .make(inspection: module.inspection, problem: problem, linksToSource: true), error: refusal?.0 ?? "",
            hasError: refusal != nil, errorLine: refusal?.1?.line ?? 0, errorColumn: refusal?.1?.column ?? 0)
    }

    /// Saves the posted source (`code`, with an optional `comment`) as a new version. The editor's
    /// script asks for JSON (`Accept: application/json`) and gets the outcome with the
    /// introspection sidebar drawn anew; a plain form post gets the editor back.
    func save(_ page: PageRequest, form: FormFields) async throws -> Response {
        let identity = try page.requireIdentity()
        let wantsJSON = page.request.headers[.accept]?.contains("application/json") == true
        let module: StoredModule
        do {
            module = try await customModule(page, action: "edited")
        } catch let error as APIError where wantsJSON {
            return json(["status": "error", "message": .string(AccountPages.sentence(error.message))], status: error.status, page)
        }
        guard let code = form["code"] else {
            let message = "Code: the form sent no source (field code)."
            if wantsJSON { return json(["status": "error", "message": .string(message)], status: .badRequest, page) }
            throw APIError.invalidField("code", "the form sent no source")
        }
        let comment = form.text("comment").map { String($0.prefix(200)) }
        let result: (outcome: ModuleSaveOutcome, inspection: ModuleInspection)
        do {
            result = try await library.save(
                category: module.category, name: module.name, source: code, author: identity.actor, comment: comment)
        } catch {
            let refusal = try Self.apiError(error)
            var problem: ModuleProblem?
            if case ModuleChangeError.syntax(let found) = error { problem = found }
            let message = AccountPages.sentence(refusal.message) + (problem != nil ? " Nothing was saved." : "")
            if wantsJSON {
                var body: JSONObject = ["status": "error", "message": .string(message)]
                if let problem {
                    body["problem"] = [
                        "kind": .string(problem.kind), "message": .string(problem.message), "line": problem.line.map { .int($0) } ?? .null,
                        "column": problem.column.map { .int($0) } ?? .null, "text": problem.text.map { .string($0) } ?? .null,
                    ]
                }
                return json(.object(body), status: refusal.status, page)
            }
            let model = editorModel(page, module, source: code.replacingOccurrences(of: "\r\n", with: "\n"), comment: comment ?? "", refusal: (message, problem))
            return pages.response(model, status: refusal.status)
        }
        let saved = result.outcome.module
        let message: String
        var status = "updated"
        switch result.outcome {
        case .unchanged:
            message = "No changes detected."
            status = "unchanged"
        case .created, .updated:
            await auditor.record(
                page.context, action: "update", targetType: "module", targetName: saved.qualifiedName, detail: ["version": .int(saved.currentVersion)])
            message = "Module saved successfully: version \(saved.currentVersion)."
        }
        let problem = library.problems()[saved.qualifiedName] ?? result.inspection.problem
        let warning = problem.map { "Saved, but the module cannot be used yet: \(ModuleProblemView($0).summary)" }
        if wantsJSON {
            let panel = ModuleInspectionPanel.make(inspection: saved.inspection, problem: problem, linksToSource: true)
            return json(
                [
                    "status": .string(status), "message": .string(message), "version": .int(saved.currentVersion),
                    "warning": warning.map { .string($0) } ?? .null, "inspection": .string(pages.html(panel)),
                ], status: .ok, page)
        }
        var flashes = [Flash(kind: status == "unchanged" ? .info : .success, text: message)]
        if let warning { flashes.append(Flash(kind: .error, text: warning)) }
        return .redirect(to: "/modules/\(Self.path(saved.category, saved.name))/edit/", flashes: flashes, secureCookies: web.secureCookies)
    }

    private func json(_ body: JSONValue, status: HTTPResponse.Status, _ page: PageRequest) -> Response {
        JSONResponse(body, status: status, headers: [.cacheControl: "no-store"]).response(from: page.request, context: page.context)
    }
}
