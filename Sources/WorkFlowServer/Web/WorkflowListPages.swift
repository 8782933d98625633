import Foundation
import Hummingbird
import WorkFlowEngine
import WorkFlowStore

/// `/workflows/`: the list with search, filter and paging, and the actions on one workflow
/// (run, with a form for declared inputs; enable; disable; delete after confirming).
struct WorkflowListPages {
    let web: WebEnvironment
    let pages: PageRenderer
    let runs: RunService
    let auditor: Auditor

    func addRoutes(to routes: PageRoutes) {
        routes.get("/workflows/") { page in try await list(page) }
        routes.get("/workflows/:name/run/") { page in try await runForm(page, name: try page.name(), values: [:], error: nil) }
        routes.post("/workflows/:name/run/", permission: .run) { page, form in try await run(page, name: try page.name(), form: form) }
        routes.post("/workflows/:name/enable/", permission: .write) { page, _ in try await setEnabled(page, name: try page.name(), true) }
        routes.post("/workflows/:name/disable/", permission: .write) { page, _ in try await setEnabled(page, name: try page.name(), false) }
        routes.get("/workflows/:name/delete/", permission: .write) { page in
            let flow = try await liveFlow(try page.name())
            return pages.response(DeleteWorkflowPage(frame: page.frame("Delete \(flow.name)"), name: flow.name, path: WorkflowRow.pathSegment(flow.name)))
        }
        routes.post("/workflows/:name/delete/", permission: .write) { page, _ in try await delete(page, name: try page.name()) }
    }

    private func list(_ page: PageRequest) async throws -> Response {
        let window = PageWindow(page)
        let text = page.query("q")
        let state = page.query("enabled")
        let enabled: Bool? = state == "yes" ? true : state == "no" ? false : nil
        let query = FlowQuery(text: text, enabled: enabled, limit: window.perPage, offset: window.offset)
        async let counted = web.store.countFlows(query)
        let flows = try await web.store.listFlows(query)
        let lastRuns = try await web.store.lastRuns(flowIDs: flows.map(\.id))
        let total = try await counted
        let time = await web.displayTime()
        var filters: [(String, String)] = []
        if let text { filters.append(("q", text)) }
        if let state = enabled.map({ $0 ? "yes" : "no" }) { filters.append(("enabled", state)) }
        let model = WorkflowListPage(
            frame: page.frame("Workflows"), query: text ?? "",
            states: [
                .init(value: "", label: "All", selected: enabled == nil), .init(value: "yes", label: "Enabled", selected: enabled == true),
                .init(value: "no", label: "Disabled", selected: enabled == false),
            ],
            rows: flows.map { WorkflowRow.make($0, lastRun: lastRuns[$0.id], time: time) }, total: total,
            filtered: text != nil || enabled != nil,
            pager: window.pager(path: "/workflows/", filters: filters, shown: flows.count, total: total, hasMore: false),
            perPage: window.perPage, canWrite: page.identity?.allows(.write) == true, canRun: page.identity?.allows(.run) == true)
        return pages.response(model)
    }

    // MARK: Running

    private func runForm(_ page: PageRequest, name: String, values: [String: String], error: String?, status: HTTPResponse.Status = .ok)
        async throws -> Response
    {
        let flow = try await liveFlow(name)
        let workflow = Workflow(document: .object(flow.document))
        let fields = workflow.inputs.map { input in
            RunInputField.make(input, value: values[input.name])
        }
        let model = RunFormPage(
            frame: page.frame("Run \(flow.name)"), name: flow.name, path: WorkflowRow.pathSegment(flow.name), enabled: flow.enabled,
            fields: fields, error: error)
        return pages.response(model, status: status)
    }

    private func run(_ page: PageRequest, name: String, form: FormFields) async throws -> Response {
        let identity = try page.requireIdentity()
        let flow = try await liveFlow(name)
        let workflow = Workflow(document: .object(flow.document))
        // The list's Run button posts no inputs: a workflow that declares some gets its form first.
        if form["from_form"] == nil, !workflow.inputs.isEmpty {
            return .redirect(to: "/workflows/\(WorkflowRow.pathSegment(flow.name))/run/")
        }
        var inputs: JSONObject = [:]
        var values: [String: String] = [:]
        for input in workflow.inputs {
            let raw = form["input." + input.name]
            values[input.name] = raw
            if input.type == .boolean {
                inputs[input.name] = .bool(raw == "true")
            } else if let raw, !raw.isEmpty {
                inputs[input.name] = .string(raw)
            }
        }
        do {
            let run = try await runs.start(flowName: flow.name, inputs: inputs, trigger: .ui, triggeredBy: identity.actor)
            await auditor.record(page.context, action: "run", targetType: "flow", targetName: flow.name, detail: ["run_id": .int(Int(run.id))])
            return .redirect(to: RunPages.path(run), flashes: [Flash(kind: .success, text: "Run #\(run.id) of \(flow.name) queued.")])
        } catch let error as APIError where error.status == .badRequest || error.status == .conflict {
            if workflow.inputs.isEmpty {
                return .redirect(to: "/workflows/", flashes: [Flash(kind: .error, text: AccountPages.sentence(error.message))])
            }
            return try await runForm(page, name: name, values: values, error: AccountPages.sentence(error.message), status: error.status)
        }
    }

    // MARK: Enable, disable, delete

    private func setEnabled(_ page: PageRequest, name: String, _ enabled: Bool) async throws -> Response {
        let identity = try page.requireIdentity()
        let flow = try await web.store.setEnabled(name: name, enabled: enabled, author: identity.actor)
        await auditor.record(page.context, action: enabled ? "enable" : "disable", targetType: "flow", targetName: flow.name)
        return .redirect(to: page.backToList, flashes: [Flash(kind: .success, text: "\(flow.name) \(enabled ? "enabled" : "disabled").")])
    }

    private func delete(_ page: PageRequest, name: String) async throws -> Response {
        let identity = try page.requireIdentity()
        let deletedAs = try await web.store.deleteFlow(name: name, author: identity.actor)
        await auditor.record(page.context, action: "delete", targetType: "flow", targetName: name, detail: ["deleted_as": .string(deletedAs)])
        return .redirect(to: "/workflows/", flashes: [Flash(kind: .success, text: "\(name) deleted.")])
    }

    private func liveFlow(_ name: String) async throws -> StoredFlow {
        try await web.liveFlow(named: name)
    }
}

extension PageRequest {
    /// The `:name` of the path.
    func name() throws -> String {
        guard let name = context.parameters.get("name") else { throw APIError.badRequest("the path names no workflow") }
        return name
    }

    /// The list the action came from (with its filters), or the plain list.
    var backToList: String {
        guard let referer = request.headers[.referer], let url = URL(string: referer), url.path == "/workflows/" else { return "/workflows/" }
        return "/workflows/" + (url.query.map { "?" + $0 } ?? "")
    }
}

extension WorkflowRow {
    /// A workflow name as one path segment.
    static func pathSegment(_ name: String) -> String {
        name.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(["/"])) ?? name
    }
}

struct WorkflowListPage: Page {
    static let template = "workflows"
    var frame: PageFrame
    var query: String
    var states: [Choice]
    var rows: [WorkflowRow]
    var total: Int
    /// Whether a search or filter narrowed the list (an empty list then says so).
    var filtered: Bool
    var pager: Pager
    var perPage: Int
    /// What the caller may do: buttons for the rest are not shown.
    var canWrite: Bool
    var canRun: Bool

    struct Choice: Sendable {
        var value: String
        var label: String
        var selected: Bool
    }
}

struct DeleteWorkflowPage: Page {
    static let template = "workflow-delete"
    var frame: PageFrame
    var name: String
    var path: String
}

struct RunFormPage: Page {
    static let template = "run-form"
    var frame: PageFrame
    var name: String
    var path: String
    var enabled: Bool
    var fields: [RunInputField]
    var error: String?
}

/// One declared input on the run form, with the control its type calls for.
struct RunInputField: Sendable {
    var name: String
    var label: String
    var description: String?
    var type: String
    var required: Bool
    var value: String
    var isBoolean: Bool
    var isNumber: Bool
    var isJSON: Bool
    var isText: Bool
    var checked: Bool
    var placeholder: String

    static func make(_ input: InputDeclaration, value: String?) -> RunInputField {
        let fallback = input.defaultValue.map { value -> String in
            if case .string(let text) = value { return text }
            return JSONWriter.string(from: value)
        }
        let shown = value ?? fallback ?? ""
        let isJSON = input.type == .array || input.type == .object || input.type == .any
        return RunInputField(
            name: input.name, label: input.name, description: input.description, type: input.type.rawValue,
            required: input.required && input.defaultValue == nil, value: shown, isBoolean: input.type == .boolean,
            isNumber: input.type == .number || input.type == .integer, isJSON: isJSON,
            isText: input.type == .string, checked: shown == "true",
            placeholder: input.type == .array ? "[1, 2, 3]" : input.type == .object ? "{\"key\": \"value\"}" : "")
    }
}
