import Foundation
import Hummingbird
import WorkFlowEngine
import WorkFlowStore

/// The workflow editor (`/workflows/create/`, `/workflows/<name>/edit/`): one page whose script
/// keeps the document in memory and shows it as a form, a graph and JSON, saving through API v1.
/// The page hands the script the document, the module registry and where to save.
struct EditorPages {
    let web: WebEnvironment
    let pages: PageRenderer
    let modules: ModuleLibrary
    /// The modules as last loaded (built-in and custom).
    var registry: ModuleRegistry { modules.registry() }

    func addRoutes(to routes: PageRoutes) {
        routes.get("/workflows/create/", permission: .write) { page in
            try await editor(page, flow: nil)
        }
        routes.get("/workflows/:name/edit/") { page in
            try await editor(page, flow: try await web.liveFlow(named: try page.name()))
        }
    }

    private func editor(_ page: PageRequest, flow: StoredFlow?) async throws -> Response {
        // Modules created on another node since this one last looked appear in the pickers.
        let registry = (try? await modules.refresh()) ?? self.registry
        let starter: JSONObject = [
            "procedures": [["name": "hello", "mod": "common.Kt", "method": "prt1", "params": ["msg": "hello"]]]
        ]
        let data: JSONValue = [
            "mode": .string(flow == nil ? "create" : "edit"),
            "name": flow.map { .string($0.name) } ?? .null,
            "version": flow.map { .int($0.currentVersion) } ?? .null,
            "enabled": .bool(flow?.enabled ?? true),
            "document": .object(flow?.document ?? starter),
            "modules": .array(registry.descriptors.map(Presentation.json)),
            "paths": [
                "list": "/workflows/",
                "create": "/api/v1/flows",
                "validate": "/api/v1/flows/validate",
                "flow": flow.map { .string("/api/v1/flows/\(WorkflowRow.pathSegment($0.name))") } ?? .null,
                "versions": flow.map { .string("/workflows/\(WorkflowRow.pathSegment($0.name))/versions/") } ?? .null,
            ],
        ]
        let title = flow.map { "Edit \($0.name)" } ?? "New workflow"
        return pages.response(
            EditorPage(
                frame: page.frame(title), name: flow?.name ?? "", isNew: flow == nil, version: flow?.currentVersion ?? 0,
                path: flow.map { WorkflowRow.pathSegment($0.name) } ?? "", dataJSON: ScriptJSON.embed(data)))
    }
}

struct EditorPage: Page {
    static let template = "editor"
    var frame: PageFrame
    var name: String
    var isNew: Bool
    var version: Int
    var path: String
    /// What the editor's script starts from, in a `<script type="application/json">` block.
    var dataJSON: String
}
