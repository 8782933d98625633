import Foundation
import Hummingbird
import Logging
import WorkFlowEngine
import WorkFlowModules
import WorkFlowStore

/// The module pages: the list by category with the forms that add modules and categories
/// (`/modules/`), one module (`/modules/<category>/<Name>/`), its editor, its versions, and
/// deleting it. Built-in modules are shown read-only from their descriptors; custom modules are
/// changed through ``ModuleLibrary``, which inspects every source before it is saved.
///
/// Category actions live at `/modules/<category>/rename-category/` and `.../delete-category/`:
/// no module name can contain a `-`, so these paths never shadow a module's page.
struct ModulePages {
    let web: WebEnvironment
    let pages: PageRenderer
    let library: ModuleLibrary
    let auditor: Auditor
    let logger: Logger

    func addRoutes(to routes: PageRoutes) {
        routes.get("/modules/") { page in try await list(page) }
        routes.post("/modules/new/", permission: .write) { page, form in try await create(page, form: form) }
        routes.post("/modules/upload/", permission: .write) { page, form in try await upload(page, form: form) }
        routes.post("/modules/categories/", permission: .write) { page, form in try await createCategory(page, form: form) }
        routes.post("/modules/:category/rename-category/", permission: .write) { page, form in try await renameCategory(page, form: form) }
        routes.post("/modules/:category/delete-category/", permission: .write) { page, _ in try await deleteCategory(page) }
        routes.get("/modules/:category/:name/") { page in try await show(page) }
        routes.get("/modules/:category/:name/source.py") { page in try await download(page) }
        routes.get("/modules/:category/:name/delete/", permission: .write) { page in try await deleteForm(page) }
        routes.post("/modules/:category/:name/delete/", permission: .write) { page, _ in try await delete(page) }
        routes.get("/modules/:category/:name/edit/", permission: .write) { page in try await editor(page) }
        routes.post("/modules/:category/:name/edit/", permission: .write) { page, form in try await save(page, form: form) }
        routes.get("/modules/:category/:name/versions/") { page in try await versions(page) }
        routes.get("/modules/:category/:name/versions/diff/") { page in try await diff(page) }
        routes.get("/modules/:category/:name/versions/:version/") { page in try await version(page) }
        routes.get("/modules/:category/:name/versions/:version/restore/", permission: .write) { page in try await restoreForm(page) }
        routes.post("/modules/:category/:name/versions/:version/restore/", permission: .write) { page, _ in try await restore(page) }
    }

    // MARK: - The list

    private func list(_ page: PageRequest) async throws -> Response {
        pages.response(try await listModel(page, forms: ModuleListForms()))
    }

    /// The list with `forms` as given and `adjust` applied to the category cards (a refused
    /// rename or delete shows in its card).
    private func listModel(
        _ page: PageRequest, forms: ModuleListForms, adjust: (inout ModuleCategoryGroup) -> Void = { _ in }
    ) async throws -> ModuleListPage {
        await refreshQuietly()
        let canWrite = page.identity?.allows(.write) == true
        let time = await web.displayTime()
        let stored = try await library.store.modules()
        let storedCategories = Set(try await library.store.moduleCategories().map(\.name))
        let problems = library.problems()
        let registry = library.registry()
        var rows: [String: [ModuleRow]] = [:]
        for descriptor in library.builtins.descriptors {
            guard case let (category, name)? = Self.split(descriptor.name) else { continue }
            rows[category, default: []].append(
                row(category: category, name: name, description: descriptor.doc, methods: descriptor.methods.map(\.name), kind: .core,
                    canWrite: canWrite))
        }
        for module in stored where !library.isCore(module.qualifiedName) {
            let inspection = ModuleInspection(json: module.inspection ?? .null)
            let methods = (inspection.module?["methods"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
            var entry = row(
                category: module.category, name: module.name, description: inspection.module?["description"]?.stringValue ?? "",
                methods: methods, kind: .custom, canWrite: canWrite)
            entry.modified = time.relative(module.updatedAt)
            entry.modifiedTitle = time.text(module.updatedAt) + (module.updatedBy.map { " by \($0)" } ?? "")
            entry.hasModified = true
            entry.version = module.currentVersion
            if let problem = problems[module.qualifiedName] ?? inspection.problem {
                entry.problem = ModuleProblemView(problem).summary
                entry.problemKind = problem.kind == "syntax" ? "syntax error" : problem.kind == "import" ? "import error" : "not usable"
                entry.hasProblem = true
                if methods.isEmpty { entry.methodsText = "methods unknown until it can be imported" }
            }
            rows[module.category, default: []].append(entry)
        }
        let storedNames = Set(stored.map(\.qualifiedName))
        var broken: [ModuleExecutableProblem] = []
        for executable in library.executableModules() {
            if let problem = executable.problem {
                broken.append(ModuleExecutableProblem(path: executable.path, message: problem.description))
                continue
            }
            guard let qualified = executable.name, !library.isCore(qualified), !storedNames.contains(qualified),
                let descriptor = registry.module(named: qualified)?.descriptor, case let (category, name)? = Self.split(qualified)
            else { continue }
            rows[category, default: []].append(
                row(category: category, name: name, description: descriptor.doc, methods: descriptor.methods.map(\.name), kind: .executable,
                    canWrite: canWrite))
        }
        let names = Set(rows.keys).union(storedCategories).sorted()
        let groups = names.map { category -> ModuleCategoryGroup in
            let modules = (rows[category] ?? []).sorted { $0.name.lowercased() < $1.name.lowercased() }
            let isCore = library.isCoreCategory(category)
            let changeable = canWrite && storedCategories.contains(category) && !isCore
            var group = ModuleCategoryGroup(
                name: category, label: ModuleLook.label(category: category), isCore: isCore, modules: modules,
                countText: modules.isEmpty ? "empty" : modules.count == 1 ? "1 module" : "\(modules.count) modules", isEmpty: modules.isEmpty,
                canRename: changeable, canDelete: changeable && !modules.contains { $0.isCustom })
            group.renameValue = category
            adjust(&group)
            return group
        }
        let all = groups.flatMap(\.modules)
        let custom = all.filter(\.isCustom).count
        let core = all.filter(\.isCore).count
        var summary = "\(all.count) module\(all.count == 1 ? "" : "s") in \(groups.count) categor\(groups.count == 1 ? "y" : "ies"): \(core) core, \(custom) custom"
        let executables = all.filter(\.isExecutable).count
        if executables > 0 { summary += ", \(executables) executable" }
        summary += "."
        let selected = forms.selectedCategory.isEmpty ? (names.first { !library.isCoreCategory($0) } ?? names.first ?? "") : forms.selectedCategory
        return ModuleListPage(
            frame: page.frame("Modules"), categories: groups,
            choices: names.map { ModuleCategoryChoice(name: $0, selected: $0 == selected) }, summary: summary, canWrite: canWrite,
            forms: forms, brokenExecutables: broken, hasBrokenExecutables: !broken.isEmpty)
    }

    enum ModuleKind {
        case core, custom, executable
    }

    private func row(category: String, name: String, description: String, methods: [String], kind: ModuleKind, canWrite: Bool) -> ModuleRow {
        let description = description.split(separator: "\n", maxSplits: 1).first.map(String.init) ?? ""
        return ModuleRow(
            qualifiedName: "\(category).\(name)", name: name, path: Self.path(category, name), description: description,
            hasDescription: !description.isEmpty, look: ModuleLook.of(category: category, name: name), methods: methods,
            methodsText: methods.count == 1 ? "1 method" : "\(methods.count) methods", isCore: kind == .core, isCustom: kind == .custom,
            isExecutable: kind == .executable, modified: "", modifiedTitle: "", hasModified: false, version: 0, problem: "", problemKind: "",
            hasProblem: false, canEdit: canWrite && kind == .custom,
            searchText: ([category, name, description] + methods).joined(separator: " ").lowercased())
    }

    /// Brings the registry and the problems up to date with the database (another node, or the
    /// CLI, may have changed a module); a failure leaves the loaded modules, and is logged.
    func refreshQuietly() async {
        do {
            try await library.refresh()
        } catch {
            logger.warning("could not reload the custom modules for a page", metadata: ["error": "\(error)"])
        }
    }

    // MARK: - New module, upload

    private func create(_ page: PageRequest, form: FormFields) async throws -> Response {
        let identity = try page.requireIdentity()
        var forms = ModuleListForms()
        forms.createOpen = true
        forms.moduleName = form.text("module_name") ?? ""
        forms.newCategory = form.text("new_category") ?? ""
        forms.selectedCategory = form.text("category") ?? ""
        // The seed's rule: a new category, lowercased, wins over the chosen one.
        let category = form.text("new_category")?.lowercased() ?? form.text("category") ?? ""
        let name = forms.moduleName
        func refuse(_ message: String, category invalidCategory: Bool = false, name invalidName: Bool = false, status: HTTPResponse.Status = .badRequest)
            async throws -> Response
        {
            forms.createError = AccountPages.sentence(message)
            forms.hasCreateError = true
            forms.createCategoryInvalid = invalidCategory
            forms.createNameInvalid = invalidName
            return pages.response(try await listModel(page, forms: forms), status: status)
        }
        do {
            try ModuleNames.checkCategory(category, field: "Category")
        } catch {
            return try await refuse(error.description, category: true)
        }
        do {
            try ModuleNames.checkModule(name, field: "Module name", requireUppercase: true)
        } catch {
            return try await refuse(error.description, name: true)
        }
        let qualified = "\(category).\(name)"
        if library.isCore(qualified) { return try await refuse("Module \"\(qualified)\" already exists (a core module).", name: true, status: .conflict) }
        do {
            _ = try await library.save(
                category: category, name: name, source: Self.skeleton(name), author: identity.actor, comment: "created", mustBeNew: true)
        } catch {
            let refusal = try Self.apiError(error)
            return try await refuse(refusal.message, name: refusal.status == .conflict, status: refusal.status)
        }
        await auditor.record(page.context, action: "create", targetType: "module", targetName: qualified, detail: ["version": 1])
        return .redirect(
            to: "/modules/\(Self.path(category, name))/edit/", flashes: [Flash(kind: .success, text: "Module \"\(qualified)\" created successfully.")],
            secureCookies: web.secureCookies)
    }

    private func upload(_ page: PageRequest, form: FormFields) async throws -> Response {
        let identity = try page.requireIdentity()
        var forms = ModuleListForms()
        forms.uploadOpen = true
        forms.uploadNewCategory = form.text("new_category") ?? ""
        forms.selectedCategory = form.text("category") ?? ""
        forms.replace = form.text("replace") != nil
        let category = form.text("new_category")?.lowercased() ?? form.text("category") ?? ""
        func refuse(_ message: String, category invalidCategory: Bool = false, status: HTTPResponse.Status = .badRequest) async throws -> Response {
            forms.uploadError = AccountPages.sentence(message)
            forms.hasUploadError = true
            forms.uploadCategoryInvalid = invalidCategory
            forms.uploadFileInvalid = !invalidCategory
            return pages.response(try await listModel(page, forms: forms), status: status)
        }
        do {
            try ModuleNames.checkCategory(category, field: "Category")
        } catch {
            return try await refuse(error.description, category: true)
        }
        guard let file = form.files["file"], let sent = file.fileName, !sent.isEmpty else {
            return try await refuse("File: choose a .py file to upload.")
        }
        // Some browsers send the whole path; the name is its last part.
        let fileName = sent.split(whereSeparator: { $0 == "/" || $0 == "\\" }).last.map(String.init) ?? sent
        guard fileName.hasSuffix(".py"), fileName.count > 3 else {
            return try await refuse("File: \"\(fileName)\" is not a Python file; upload a file whose name ends in .py.")
        }
        let name = String(fileName.dropLast(3))
        guard let source = String(validating: file.body, as: UTF8.self) else {
            return try await refuse("File: \"\(fileName)\" is not UTF-8 text.")
        }
        guard !source.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            return try await refuse("File: \"\(fileName)\" is empty.")
        }
        let qualified = "\(category).\(name)"
        let exists = try await library.store.module(category: category, name: name) != nil
        do {
            // The file name is the module's name; a new module follows the seed's rule for new names.
            try ModuleNames.checkModule(name, field: "name", requireUppercase: !exists)
        } catch {
            return try await refuse("File: the name \"\(fileName)\" gives the module name; \(error.description.prefix(1).lowercased() + error.description.dropFirst())")
        }
        if library.isCore(qualified) {
            return try await refuse("File: \"\(qualified)\" is a core module; it cannot be replaced. Rename the file.", status: .conflict)
        }
        if exists, !forms.replace {
            return try await refuse(
                "Module \"\(qualified)\" already exists. Tick \"Replace the existing module\" to save the file as its new version.", status: .conflict)
        }
        let outcome: ModuleSaveOutcome
        do {
            outcome = try await library.save(
                category: category, name: name, source: source, author: identity.actor, comment: "uploaded \(fileName)", mustBeNew: !exists
            ).outcome
        } catch ModuleChangeError.syntax(let problem) {
            return try await refuse("File: \"\(fileName)\" has a \(ModuleProblemView(problem).summary.prefix(1).lowercased())\(ModuleProblemView(problem).summary.dropFirst()). Nothing was saved.")
        } catch {
            let refusal = try Self.apiError(error)
            return try await refuse(refusal.message, status: refusal.status)
        }
        let message: Flash
        switch outcome {
        case .created(let module):
            await auditor.record(
                page.context, action: "create", targetType: "module", targetName: qualified, detail: ["version": .int(module.currentVersion), "source": "upload"])
            message = Flash(kind: .success, text: "Module \"\(qualified)\" uploaded.")
        case .updated(let module):
            await auditor.record(
                page.context, action: "update", targetType: "module", targetName: qualified, detail: ["version": .int(module.currentVersion), "source": "upload"])
            message = Flash(kind: .success, text: "Module \"\(qualified)\" replaced: version \(module.currentVersion).")
        case .unchanged:
            message = Flash(kind: .info, text: "No changes detected: \(fileName) is the same as the current version of \(qualified).")
        }
        return .redirect(to: "/modules/\(Self.path(category, name))/", flashes: [message], secureCookies: web.secureCookies)
    }

    /// What a new module starts as (the seed's skeleton): one documented method that returns its first parameter.
    static func skeleton(_ name: String) -> String {
        """
        \"\"\"
        \(name) Workflow Procedure Module
        \"\"\"


        class \(name):
            \"\"\"\(name) Workflow Procedure Module\"\"\"

            def __init__(self, logger):
                self.logger = logger

            def example(self, context, cfgs):
                \"\"\"Example method: returns param1.

                Args:
                    context (dict): The run's context (earlier results, var).
                    cfgs (dict): The step's parameters.
                    param1 (str): The value to return
                    param2 (int): Optional number (default: 0)

                Returns:
                    dict: {"status": True, "data": param1}
                \"\"\"
                param1 = cfgs.get("param1")
                param2 = cfgs.get("param2", 0)
                self.logger.info("example: param1=%s param2=%s", param1, param2)
                return {"status": True, "data": param1}

        """
    }

    // MARK: - Categories

    private func createCategory(_ page: PageRequest, form: FormFields) async throws -> Response {
        let identity = try page.requireIdentity()
        var forms = ModuleListForms()
        forms.categoryOpen = true
        forms.categoryName = form.text("category_name") ?? ""
        let name = forms.categoryName.lowercased()
        do {
            try ModuleNames.checkCategory(name, field: "Category name")
            _ = try await library.createCategory(name, author: identity.actor)
        } catch {
            let refusal = try Self.apiError(error)
            forms.categoryError = AccountPages.sentence(refusal.message)
            forms.hasCategoryError = true
            return pages.response(try await listModel(page, forms: forms), status: refusal.status)
        }
        await auditor.record(page.context, action: "create", targetType: "category", targetName: name)
        return .redirect(
            to: "/modules/#category-\(name)", flashes: [Flash(kind: .success, text: "Category \"\(name)\" created.")], secureCookies: web.secureCookies)
    }

    private func renameCategory(_ page: PageRequest, form: FormFields) async throws -> Response {
        let category = try categoryParameter(page)
        let newName = (form.text("new_name") ?? "").lowercased()
        var blockers: [String] = []
        do {
            try ModuleNames.checkCategory(newName, field: "New name")
            try await library.renameCategory(category, to: newName)
        } catch {
            if case ModuleChangeError.inUse(_, let workflows) = error { blockers = workflows }
            let refusal = try Self.apiError(error)
            let message =
                blockers.isEmpty
                ? AccountPages.sentence(refusal.message)
                : "Cannot rename category \"\(category)\" — workflows call its modules by name. Change them first:"
            let model = try await listModel(page, forms: ModuleListForms()) { group in
                guard group.name == category else { return }
                group.renameOpen = true
                group.renameValue = form.text("new_name") ?? ""
                group.actionError = message
                group.hasActionError = true
                group.blockers = blockers.map(WorkflowLink.init)
                group.hasBlockers = !blockers.isEmpty
            }
            return pages.response(model, status: refusal.status)
        }
        if newName == category {
            return .redirect(to: "/modules/#category-\(category)", secureCookies: web.secureCookies)
        }
        await auditor.record(page.context, action: "rename", targetType: "category", targetName: category, detail: ["new_name": .string(newName)])
        return .redirect(
            to: "/modules/#category-\(newName)", flashes: [Flash(kind: .success, text: "Category \"\(category)\" renamed to \"\(newName)\".")],
            secureCookies: web.secureCookies)
    }

    private func deleteCategory(_ page: PageRequest) async throws -> Response {
        let category = try categoryParameter(page)
        do {
            try await library.deleteCategory(category)
        } catch {
            let refusal = try Self.apiError(error)
            if refusal.status == .notFound { throw refusal }
            let model = try await listModel(page, forms: ModuleListForms()) { group in
                guard group.name == category else { return }
                group.actionError = AccountPages.sentence(refusal.message)
                group.hasActionError = true
            }
            return pages.response(model, status: refusal.status)
        }
        await auditor.record(page.context, action: "delete", targetType: "category", targetName: category)
        return .redirect(to: "/modules/", flashes: [Flash(kind: .success, text: "Category \"\(category)\" deleted.")], secureCookies: web.secureCookies)
    }

    // MARK: - Shared

    /// `category/Name` for a URL (both parts are ASCII identifiers, so nothing needs escaping).
    static func path(_ category: String, _ name: String) -> String {
        "\(category)/\(name)"
    }

    static func split(_ qualified: String) -> (String, String)? {
        let parts = qualified.split(separator: ".", maxSplits: 1)
        guard parts.count == 2 else { return nil }
        return (String(parts[0]), String(parts[1]))
    }

    func categoryParameter(_ page: PageRequest) throws -> String {
        guard let category = page.context.parameters.get("category") else { throw APIError.badRequest("the path names no category") }
        return category
    }

    /// The `:category` and `:name` of the path.
    func moduleParameters(_ page: PageRequest) throws -> (category: String, name: String) {
        guard let category = page.context.parameters.get("category"), let name = page.context.parameters.get("name") else {
            throw APIError.badRequest("the path names no module")
        }
        return (category, name)
    }

    static func notFound(_ qualified: String) -> APIError {
        .notFound("There is no module named '\(qualified)'. It may have been renamed or deleted.")
    }

    /// The custom module the path names; a core module cannot be changed, a missing one is not found.
    func customModule(_ page: PageRequest, action: String) async throws -> StoredModule {
        let (category, name) = try moduleParameters(page)
        let qualified = "\(category).\(name)"
        if library.isCore(qualified) {
            throw APIError(
                .forbidden, code: "core_module", message: "\(qualified) is a core module: it is built into WorkFlow and cannot be \(action).")
        }
        guard let module = try await library.store.module(category: category, name: name) else { throw Self.notFound(qualified) }
        return module
    }

    /// The error a page shows for a refused module change; anything else goes on to the error page.
    static func apiError(_ error: any Error) throws -> APIError {
        switch error {
        case let error as APIError: return error
        case let error as StoreError: return APIError(error)
        case let error as ModuleChangeError:
            switch error {
            case .syntax(let problem): return .badRequest(ModuleProblemView(problem).summary, code: "syntax_error")
            case .core(let message): return APIError(.forbidden, code: "core_module", message: message)
            case .inUse: return .conflict(error.description)
            case .noPython(let message):
                return APIError(.serviceUnavailable, code: "no_python", message: "custom modules need Python 3 on this server: \(message)")
            }
        default: throw error
        }
    }
}
