import Foundation
import WorkFlowEngine
import WorkFlowModules
import WorkFlowStore

/// Why a module change was refused, beyond the store's own errors.
public enum ModuleChangeError: Error, Sendable, CustomStringConvertible {
    /// The source does not compile; nothing was saved.
    case syntax(ModuleProblem)
    /// A built-in module or its category cannot be changed.
    case core(String)
    /// Workflows still call the module (or a module of the category).
    case inUse(module: String, workflows: [String])
    /// Python is not available to inspect the source.
    case noPython(String)

    public var description: String {
        switch self {
        case .syntax(let problem): problem.description
        case .core(let message): message
        case .inUse(let module, let workflows):
            "\(module) is used by \(workflows.count) workflow(s): \(workflows.joined(separator: ", ")); change them first"
        case .noPython(let message): message
        }
    }
}

extension ModuleLibrary {
    /// Saves a custom module's source as a new version (or creates it), after introspecting it in
    /// a separate process. A syntax error refuses the save; other problems (an import that fails
    /// on this node, no class named like the file) are saved and reported with the module.
    public func save(
        category: String, name: String, source rawSource: String, author: String?, comment: String?, mustBeNew: Bool = false
    ) async throws -> (outcome: ModuleSaveOutcome, inspection: ModuleInspection) {
        try ModuleNames.checkCategory(category)
        try ModuleNames.checkModule(name, requireUppercase: mustBeNew)
        let qualified = "\(category).\(name)"
        if isCore(qualified) { throw ModuleChangeError.core("Core module \"\(qualified)\" cannot be changed.") }
        let source = rawSource.replacingOccurrences(of: "\r\n", with: "\n")
        let inspection = try await inspect(category: category, name: name, source: source)
        let outcome = try await saveInspected(
            category: category, name: name, source: source, inspection: inspection, author: author, comment: comment, mustBeNew: mustBeNew)
        await reloadAfterChange()
        return (outcome, inspection)
    }

    /// Introspects `source` as `category/name.py` beside the other stored modules (which it may import).
    public func inspect(category: String, name: String, source: String) async throws -> ModuleInspection {
        let answers = try await inspect(together: [ModuleSource(category: category, name: name, source: source)])
        guard let answer = answers.first else { throw ModuleChangeError.noPython("the inspector gave no answer") }
        return answer
    }

    /// The live workflows whose steps call `qualifiedName` (any step, in list order of workflows).
    public func workflows(using qualifiedNames: Set<String>) async throws(StoreError) -> [String] {
        var users: [String] = []
        var offset = 0
        while true {
            let page = try await store.listFlows(FlowQuery(limit: 500, offset: offset))
            for flow in page {
                let workflow = Workflow(document: .object(flow.document))
                if workflow.procedures.contains(where: { qualifiedNames.contains($0.mod) || qualifiedNames.contains("mod." + $0.mod) }) {
                    users.append(flow.name)
                }
            }
            if page.count < 500 { break }
            offset += 500
        }
        return users
    }

    /// Deletes a custom module, unless a workflow calls it.
    public func delete(category: String, name: String) async throws {
        let qualified = "\(category).\(name)"
        if isCore(qualified) { throw ModuleChangeError.core("Core module \"\(qualified)\" cannot be deleted.") }
        let users = try await workflows(using: [qualified])
        if !users.isEmpty { throw ModuleChangeError.inUse(module: qualified, workflows: users) }
        try await store.deleteModule(category: category, name: name)
        await reloadAfterChange()
    }

    /// Makes an old version current again (as a new version), introspecting it anew.
    public func restore(version: Int, category: String, name: String, author: String?) async throws -> StoredModule {
        let old = try await store.moduleVersion(version, category: category, name: name)
        let inspection = try await inspect(category: category, name: name, source: old.source)
        let module = try await store.restoreModuleVersion(version, category: category, name: name, inspection: inspection.json, author: author)
        await reloadAfterChange()
        return module
    }

    /// Whether a category holds built-in modules (the seed's core categories cannot be renamed or deleted).
    public func isCoreCategory(_ category: String) -> Bool {
        builtins.names.contains { $0.hasPrefix(category + ".") }
    }

    public func createCategory(_ name: String, author: String?) async throws -> ModuleCategory {
        if isCoreCategory(name) { throw StoreError.moduleCategoryExists(name) }
        return try await store.createModuleCategory(name, author: author)
    }

    /// Renames a category, unless it holds core modules or workflows call its modules (their
    /// `mod` would dangle).
    public func renameCategory(_ name: String, to newName: String) async throws {
        if isCoreCategory(name) { throw ModuleChangeError.core("Cannot rename category \"\(name)\" — contains core modules.") }
        if isCoreCategory(newName) { throw StoreError.moduleCategoryExists(newName) }
        let members = Set(try await store.modules().filter { $0.category == name }.map(\.qualifiedName))
        if !members.isEmpty {
            let users = try await workflows(using: members)
            if !users.isEmpty { throw ModuleChangeError.inUse(module: "category \"\(name)\"", workflows: users) }
        }
        try await store.renameModuleCategory(name, to: newName)
        await reloadAfterChange()
    }

    public func deleteCategory(_ name: String) async throws {
        if isCoreCategory(name) { throw ModuleChangeError.core("Cannot delete category \"\(name)\" — contains core modules.") }
        try await store.deleteModuleCategory(name)
    }

    /// Reloads after a change that is already stored: a failure to reload is logged, not
    /// reported as a failure of the change (the next run or refresh loads it).
    func reloadAfterChange() async {
        do {
            try await refresh(force: true)
        } catch {
            logger.warning("a module change was stored but the modules could not be reloaded", metadata: ["error": "\(error)"])
        }
    }
}
