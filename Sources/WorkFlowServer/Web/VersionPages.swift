import Foundation
import Hummingbird
import WorkFlowEngine
import WorkFlowStore

/// A workflow's versions: the list (author, time, comment), one version's document, two
/// versions side by side, and restoring an old one as a new version.
struct VersionPages {
    let web: WebEnvironment
    let pages: PageRenderer
    let auditor: Auditor

    func addRoutes(to routes: PageRoutes) {
        routes.get("/workflows/:name/versions/") { page in try await list(page) }
        routes.get("/workflows/:name/versions/diff/") { page in try await diff(page) }
        routes.get("/workflows/:name/versions/:version/") { page in try await show(page) }
        routes.post("/workflows/:name/versions/:version/restore/", permission: .write) { page, _ in try await restore(page) }
    }

    private func list(_ page: PageRequest) async throws -> Response {
        let flow = try await liveFlow(page)
        let time = await web.displayTime()
        let versions = try await web.store.versions(of: flow.name)
        let rows = versions.enumerated().map { index, version in
            VersionRow(
                number: version.number, author: version.author ?? "–", comment: version.comment ?? "", time: time.text(version.createdAt),
                when: time.relative(version.createdAt), current: version.number == flow.currentVersion,
                compareWith: index + 1 < versions.count ? versions[index + 1].number : nil)
        }
        let newest = versions.first?.number ?? flow.currentVersion
        let model = VersionListPage(
            frame: page.frame("Versions of \(flow.name)"), name: flow.name, path: WorkflowRow.pathSegment(flow.name), rows: rows,
            choices: versions.map { VersionChoice(number: $0.number, fromSelected: $0.number == max(1, newest - 1), toSelected: $0.number == newest) },
            canWrite: page.identity?.allows(.write) == true)
        return pages.response(model)
    }

    private func show(_ page: PageRequest) async throws -> Response {
        let flow = try await liveFlow(page)
        let number = try Self.number(page.context.parameters.get("version"), field: "version")
        let version = try await web.store.version(number, of: flow.name)
        let time = await web.displayTime()
        let model = VersionPage(
            frame: page.frame("\(flow.name) v\(number)"), name: flow.name, path: WorkflowRow.pathSegment(flow.name), number: number,
            author: version.author ?? "–", comment: version.comment ?? "", time: time.text(version.createdAt),
            current: number == flow.currentVersion, document: JSONWriter.prettyString(from: .object(version.document)),
            previous: number > 1 ? number - 1 : nil, canWrite: page.identity?.allows(.write) == true)
        return pages.response(model)
    }

    private func diff(_ page: PageRequest) async throws -> Response {
        let flow = try await liveFlow(page)
        let from = try Self.number(page.query("v1"), field: "v1")
        let to = try Self.number(page.query("v2"), field: "v2")
        async let old = web.store.version(from, of: flow.name)
        async let new = web.store.version(to, of: flow.name)
        let rows = SideBySideDiff.rows(
            from: JSONWriter.prettyString(from: .object(try await old.document)), to: JSONWriter.prettyString(from: .object(try await new.document)))
        let changed = rows.filter { $0.kind != .same }.count
        let model = VersionDiffPage(
            frame: page.frame("\(flow.name): v\(from) → v\(to)"), name: flow.name, path: WorkflowRow.pathSegment(flow.name), from: from,
            to: to, rows: rows.map(DiffLine.init), summary: changed == 0 ? "The two versions are the same." : "\(changed) changed line\(changed == 1 ? "" : "s").")
        return pages.response(model)
    }

    private func restore(_ page: PageRequest) async throws -> Response {
        let identity = try page.requireIdentity()
        let flow = try await liveFlow(page)
        let number = try Self.number(page.context.parameters.get("version"), field: "version")
        let restored = try await web.store.restoreVersion(number, of: flow.name, author: identity.actor)
        await auditor.record(
            page.context, action: "restore", targetType: "flow", targetName: flow.name,
            detail: ["version": .int(number), "new_version": .int(restored.currentVersion)])
        return .redirect(
            to: "/workflows/\(WorkflowRow.pathSegment(flow.name))/versions/",
            flashes: [Flash(kind: .success, text: "Version \(number) restored as version \(restored.currentVersion).")])
    }

    private func liveFlow(_ page: PageRequest) async throws -> StoredFlow {
        try await web.liveFlow(named: try page.name())
    }

    static func number(_ text: String?, field: String) throws -> Int {
        guard let text, let number = Int(text), number > 0 else {
            throw APIError.invalidField(field, "'\(text ?? "")' is not a version number (1, 2, 3, …)")
        }
        return number
    }
}

struct VersionRow: Sendable {
    var number: Int
    var author: String
    var comment: String
    var time: String
    var when: String
    var current: Bool
    /// The version before it, to compare with.
    var compareWith: Int?
}

struct VersionChoice: Sendable {
    var number: Int
    var fromSelected: Bool
    var toSelected: Bool
}

struct VersionListPage: Page {
    static let template = "versions"
    var frame: PageFrame
    var name: String
    var path: String
    var rows: [VersionRow]
    var choices: [VersionChoice]
    var canWrite: Bool
}

struct VersionPage: Page {
    static let template = "version"
    var frame: PageFrame
    var name: String
    var path: String
    var number: Int
    var author: String
    var comment: String
    var time: String
    var current: Bool
    var document: String
    var previous: Int?
    var canWrite: Bool
}

/// A row of the side-by-side diff as the template draws it.
struct DiffLine: Sendable {
    var kind: String
    var oldNumber: String
    var oldText: String
    var newNumber: String
    var newText: String

    init(_ row: DiffRow) {
        kind = row.kind.rawValue
        oldNumber = row.oldNumber.map(String.init) ?? ""
        oldText = row.oldText ?? ""
        newNumber = row.newNumber.map(String.init) ?? ""
        newText = row.newText ?? ""
    }
}

struct VersionDiffPage: Page {
    static let template = "version-diff"
    var frame: PageFrame
    var name: String
    var path: String
    var from: Int
    var to: Int
    var rows: [DiffLine]
    var summary: String
}
