import Foundation
import Hummingbird
import WorkFlowEngine
import WorkFlowStore

/// A custom module's versions, as the workflow's are shown: the list, one version's source, two
/// side by side, and restoring an old one as a new version.
extension ModulePages {
    func versions(_ page: PageRequest) async throws -> Response {
        let module = try await versionedModule(page)
        let time = await web.displayTime()
        let versions = try await library.store.moduleVersions(category: module.category, name: module.name)
        let rows = versions.enumerated().map { index, version in
            VersionRow(
                number: version.number, author: version.author ?? "–", comment: version.comment ?? "", time: time.text(version.createdAt),
                when: time.relative(version.createdAt), current: version.number == module.currentVersion,
                compareWith: index + 1 < versions.count ? versions[index + 1].number : nil)
        }
        let newest = versions.first?.number ?? module.currentVersion
        let model = ModuleVersionListPage(
            frame: page.frame("Versions of \(module.qualifiedName)"), qualifiedName: module.qualifiedName, path: Self.path(module.category, module.name),
            rows: rows,
            choices: versions.map { VersionChoice(number: $0.number, fromSelected: $0.number == max(1, newest - 1), toSelected: $0.number == newest) },
            canWrite: page.identity?.allows(.write) == true)
        return pages.response(model)
    }

    func version(_ page: PageRequest) async throws -> Response {
        let module = try await versionedModule(page)
        let number = try VersionPages.number(page.context.parameters.get("version"), field: "version")
        let version = try await library.store.moduleVersion(number, category: module.category, name: module.name)
        let time = await web.displayTime()
        let model = ModuleVersionPage(
            frame: page.frame("\(module.qualifiedName) v\(number)"), qualifiedName: module.qualifiedName, path: Self.path(module.category, module.name),
            number: number, author: version.author ?? "–", comment: version.comment ?? "", time: time.text(version.createdAt),
            current: number == module.currentVersion, source: version.source, previous: number > 1 ? number - 1 : nil,
            canWrite: page.identity?.allows(.write) == true)
        return pages.response(model)
    }

    func diff(_ page: PageRequest) async throws -> Response {
        let module = try await versionedModule(page)
        let from = try VersionPages.number(page.query("v1"), field: "v1")
        let to = try VersionPages.number(page.query("v2"), field: "v2")
        let old = try await library.store.moduleVersion(from, category: module.category, name: module.name)
        let new = try await library.store.moduleVersion(to, category: module.category, name: module.name)
        let rows = SideBySideDiff.rows(from: old.source, to: new.source)
        let changed = rows.filter { $0.kind != .same }.count
        let model = ModuleVersionDiffPage(
            frame: page.frame("\(module.qualifiedName): v\(from) → v\(to)"), qualifiedName: module.qualifiedName,
            path: Self.path(module.category, module.name), from: from, to: to, rows: rows.map(DiffLine.init),
            summary: changed == 0 ? "The two versions are the same." : "\(changed) changed line\(changed == 1 ? "" : "s").")
        return pages.response(model)
    }

    func restoreForm(_ page: PageRequest) async throws -> Response {
        let module = try await customModule(page, action: "restored")
        let number = try VersionPages.number(page.context.parameters.get("version"), field: "version")
        _ = try await library.store.moduleVersion(number, category: module.category, name: module.name)
        return pages.response(
            ModuleRestorePage(
                frame: page.frame("Restore \(module.qualifiedName) v\(number)"), qualifiedName: module.qualifiedName,
                path: Self.path(module.category, module.name), number: number, current: module.currentVersion))
    }

    func restore(_ page: PageRequest) async throws -> Response {
        let identity = try page.requireIdentity()
        let module = try await customModule(page, action: "restored")
        let number = try VersionPages.number(page.context.parameters.get("version"), field: "version")
        let restored: StoredModule
        do {
            restored = try await library.restore(version: number, category: module.category, name: module.name, author: identity.actor)
        } catch {
            throw try Self.apiError(error)
        }
        await auditor.record(
            page.context, action: "restore", targetType: "module", targetName: module.qualifiedName,
            detail: ["restored_version": .int(number), "new_version": .int(restored.currentVersion)])
        return .redirect(
            to: "/modules/\(Self.path(module.category, module.name))/versions/",
            flashes: [Flash(kind: .success, text: "Module \"\(module.qualifiedName)\" restored to version \(number) (saved as version \(restored.currentVersion)).")],
            secureCookies: web.secureCookies)
    }

    /// A custom module the path names, for reading its versions (core modules have none).
    private func versionedModule(_ page: PageRequest) async throws -> StoredModule {
        let (category, name) = try moduleParameters(page)
        let qualified = "\(category).\(name)"
        if library.isCore(qualified) {
            throw APIError(.notFound, code: "core_module", message: "\(qualified) is a core module: it is built into WorkFlow and has no versions.")
        }
        guard let module = try await library.store.module(category: category, name: name) else { throw Self.notFound(qualified) }
        return module
    }
}
