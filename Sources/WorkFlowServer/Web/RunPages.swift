import Foundation
import Hummingbird
import WorkFlowEngine
import WorkFlowStore
import NIOPosix
import WorkFlowXLSX

/// The run log (every run, or one workflow's) with filters, paging and CSV export, and a run's
/// page: its graph and steps, updated live while it runs, with cancel and re-run.
struct RunPages {
    let web: WebEnvironment
    let pages: PageRenderer
    let runs: RunService
    let auditor: Auditor

    /// The most rows one export writes.
    static let exportLimit = 100_000

    func addRoutes(to routes: PageRoutes) {
        routes.get("/workflows/runs/") { page in try await runLog(page, flowName: nil) }
        routes.get("/workflows/runs/export.csv") { page in try await export(page, flowName: nil, as: .csv) }
        routes.get("/workflows/runs/export.xlsx") { page in try await export(page, flowName: nil, as: .xlsx) }
        routes.get("/workflows/:name/runs/") { page in try await runLog(page, flowName: try await liveFlowName(page)) }
        routes.get("/workflows/:name/runs/export.csv") { page in try await export(page, flowName: try await liveFlowName(page), as: .csv) }
        routes.get("/workflows/:name/runs/export.xlsx") { page in try await export(page, flowName: try await liveFlowName(page), as: .xlsx) }
        routes.get("/workflows/:name/run/:id/") { page in try await runPage(page) }
        routes.post("/workflows/:name/run/:id/cancel/", permission: .run) { page, _ in try await cancel(page) }
        routes.post("/workflows/:name/run/:id/rerun/", permission: .run) { page, form in try await rerun(page, from: form["from"] ?? "start") }
    }

    // MARK: The run log

    private func runLog(_ page: PageRequest, flowName: String?) async throws -> Response {
        let window = PageWindow(page)
        let time = await web.displayTime()
        let filters = RunFilters(page, time: time)
        var query = filters.query(flowName: flowName)
        query.limit = window.perPage
        query.offset = window.offset
        async let counted = web.store.countRuns(query)
        let found = try await web.store.listRuns(query)
        let total = try await counted
        let path = flowName.map { "/workflows/\(WorkflowRow.pathSegment($0))/runs/" } ?? "/workflows/runs/"
        let model = RunLogPage(
            frame: page.frame(flowName.map { "Runs of \($0)" } ?? "Runlog"), allWorkflows: flowName == nil, path: path,
            exportQuery: filters.queryString(), filters: filters.view, problems: filters.problems,
            rows: found.map { RunRow.make($0, time: time) }, total: total, filtered: filters.isActive,
            pager: window.pager(path: path, filters: filters.pairs, shown: found.count, total: total, hasMore: false),
            perPage: window.perPage, timeZone: time.timeZone.identifier)
        return pages.response(model)
    }

    enum ExportFormat {
        case csv, xlsx
    }

    /// The filtered runs as CSV or XLSX (up to ``exportLimit`` rows), times in the display time zone.
    private func export(_ page: PageRequest, flowName: String?, as format: ExportFormat) async throws -> Response {
        let time = await web.displayTime()
        let filters = RunFilters(page, time: time)
        if let problem = filters.problems.first { throw APIError.badRequest(problem) }
        var query = filters.query(flowName: flowName)
        query.limit = Self.exportLimit
        let found = try await web.store.listRuns(query)
        let header = [
            "run_id", "workflow", "version", "status", "trigger", "triggered_by", "created (\(time.timeZone.identifier))", "started", "ended",
            "duration_ms", "error",
        ]
        let name = "runs" + (flowName.map { "-" + $0.filter { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" } } ?? "")
        // One row per run, written as CSV text or as XLSX cells (numbers stay numbers there).
        let rows: [[XLSXCell]] = found.map { run in
            [
                .number(Double(run.id)), .text(run.flowName), run.flowVersion.map { .number(Double($0)) } ?? .empty,
                .text(run.status.rawValue), .text(run.trigger.rawValue), run.triggeredBy.map(XLSXCell.text) ?? .empty,
                .text(time.text(run.createdAt)), run.startedAt.map { .text(time.text($0)) } ?? .empty,
                run.endedAt.map { .text(time.text($0)) } ?? .empty, run.durationMs.map { .number(Double($0)) } ?? .empty,
                run.error.map(XLSXCell.text) ?? .empty,
            ]
        }
        let body: ByteBuffer
        let type: String
        switch format {
        case .csv:
            var csv = CSVText()
            csv.row(header)
            for row in rows { csv.row(row.map(CSVText.text)) }
            body = ByteBuffer(string: csv.text)
            type = "text/csv; charset=utf-8"
        case .xlsx:
            let data = try await NIOThreadPool.singleton.runIfActive { try XLSXWriter.data(sheet: "Runs", header: header, rows: rows) }
            body = ByteBuffer(bytes: data)
            type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        }
        let file = name + (format == .csv ? ".csv" : ".xlsx")
        return Response(
            status: .ok,
            headers: [.contentType: type, .contentDisposition: "attachment; filename=\"\(file)\"", .cacheControl: "no-store"],
            body: .init(byteBuffer: body))
    }

    // MARK: One run

    private func runPage(_ page: PageRequest) async throws -> Response {
        let run = try await requireRun(page)
        let time = await web.displayTime()
        async let storedSteps = web.store.steps(runID: run.id)
        async let document = web.store.runDocument(id: run.id)
        async let recent = web.store.listRuns(RunQuery(flowName: run.flowName, limit: 12))
        let steps = try await storedSteps
        let graph = RunGraph.make(document: try await document ?? [:], steps: steps)
        let selected = page.query("step").flatMap { name in steps.first { $0.name == name } }
        let canRun = page.identity?.allows(.run) == true
        let model = RunDetailPage(
            frame: page.frame("Run #\(run.id)"), run: RunFacts.make(run, time: time),
            steps: graph.rows.map { node in StepRow.make(node, record: steps.first { $0.name == node.name }, runPath: Self.path(run), time: time) },
            selected: selected.map { StepDetail.make($0, time: time) },
            graphJSON: ScriptJSON.embed(graph.json(runID: run.id, timeZone: time.timeZone)),
            canCancel: canRun && (run.status == .queued || run.status == .running),
            canRerun: canRun, canResume: canRun && (run.status == .failed || run.status == .cancelled),
            recent: try await recent.map { RunRow.make($0, time: time) }.map { row in
                var row = row
                row.current = row.id == run.id
                return row
            })
        return pages.response(model)
    }

    private func cancel(_ page: PageRequest) async throws -> Response {
        let identity = try page.requireIdentity()
        let run = try await requireRun(page)
        let back = Self.path(run)
        guard run.status == .queued || run.status == .running else {
            return .redirect(to: back, flashes: [Flash(kind: .info, text: "Run #\(run.id) has already ended (\(run.status.rawValue)).")])
        }
        _ = try await runs.cancel(runID: run.id, reason: "cancelled by \(identity.actor)")
        await auditor.record(page.context, action: "cancel", targetType: "run", targetName: String(run.id))
        return .redirect(to: back, flashes: [Flash(kind: .success, text: "Run #\(run.id) is being cancelled.")])
    }

    private func rerun(_ page: PageRequest, from: String) async throws -> Response {
        let identity = try page.requireIdentity()
        let previous = try await requireRun(page)
        let run: StoredRun
        do {
            switch from {
            case "start":
                run = try await runs.start(flowName: previous.flowName, inputs: previous.inputs, trigger: .ui, triggeredBy: identity.actor)
            case "failed":
                run = try await runs.resume(runID: previous.id, trigger: .ui, triggeredBy: identity.actor)
            default:
                throw APIError.invalidField("from", "'\(from)' is not one of start, failed")
            }
        } catch let error as APIError where error.status == .conflict || error.status == .badRequest {
            return .redirect(to: Self.path(previous), flashes: [Flash(kind: .error, text: AccountPages.sentence(error.message))])
        }
        await auditor.record(page.context, action: "rerun", targetType: "run", targetName: String(previous.id), detail: ["run_id": .int(Int(run.id))])
        return .redirect(to: Self.path(run), flashes: [Flash(kind: .success, text: "Run #\(run.id) queued, again from \(from == "failed" ? "the failed step" : "the start").")])
    }

    /// The run the path names; 404 when it does not exist or belongs to another workflow.
    private func requireRun(_ page: PageRequest) async throws -> StoredRun {
        let name = try page.name()
        guard let text = page.context.parameters.get("id"), let id = Int64(text), id > 0 else {
            throw APIError.notFound("There is no run '\(page.context.parameters.get("id") ?? "")'; run ids are whole numbers.")
        }
        guard let run = try await web.store.run(id: id) else {
            throw APIError.notFound("There is no run #\(id).")
        }
        var ofThisWorkflow = run.flowName == name
        if !ofThisWorkflow { ofThisWorkflow = try await belongs(run, to: name) }
        guard ofThisWorkflow else {
            throw APIError.notFound("There is no run #\(id) of the workflow '\(name)'.")
        }
        return run
    }

    /// Whether `run` was a run of the workflow now called `name` (it may have been renamed since).
    private func belongs(_ run: StoredRun, to name: String) async throws -> Bool {
        try await web.store.run(run.id, belongsTo: name)
    }

    private func liveFlowName(_ page: PageRequest) async throws -> String {
        try await web.liveFlow(named: try page.name()).name
    }

    static func path(_ run: StoredRun) -> String {
        "/workflows/\(WorkflowRow.pathSegment(run.flowName))/run/\(run.id)/"
    }
}

/// The run log's filters as the URL carries them: `status`, `trigger`, `from` and `to` (a date,
/// or a date and time, in the display time zone; `to` of a bare date includes that day) and `q`.
struct RunFilters {
    var status: RunStatus?
    var trigger: RunTrigger?
    var from: Date?
    var to: Date?
    var text: String?
    /// The raw values, to show in the form and keep in links.
    var pairs: [(String, String)] = []
    /// What could not be read, worded for the page.
    var problems: [String] = []
    var view: View

    struct View: Sendable {
        var statuses: [Choice]
        var triggers: [Choice]
        var from: String
        var to: String
        var text: String
    }

    struct Choice: Sendable {
        var value: String
        var label: String
        var selected: Bool
    }

    init(_ page: PageRequest, time: DisplayTime) {
        let statusText = page.query("status")
        let triggerText = page.query("trigger")
        status = statusText.flatMap(RunStatus.init(rawValue:))
        trigger = triggerText.flatMap(RunTrigger.init(rawValue:))
        if let statusText, status == nil { problems.append("Unknown status '\(statusText)'; showing every status.") }
        if let triggerText, trigger == nil { problems.append("Unknown trigger '\(triggerText)'; showing every trigger.") }
        let fromText = page.query("from")
        let toText = page.query("to")
        if let fromText {
            from = Self.date(fromText, endOfDay: false, in: time.timeZone)
            if from == nil { problems.append("'\(fromText)' is not a date like 2026-12-01 or 2026-12-01T14:30; the start is ignored.") }
        }
        if let toText {
            to = Self.date(toText, endOfDay: true, in: time.timeZone)
            if to == nil { problems.append("'\(toText)' is not a date like 2026-12-01 or 2026-12-01T14:30; the end is ignored.") }
        }
        text = page.query("q")
        for (name, value) in [("status", status?.rawValue), ("trigger", trigger?.rawValue), ("from", from.map { _ in fromText ?? "" }),
            ("to", to.map { _ in toText ?? "" }), ("q", text)]
        {
            if let value { pairs.append((name, value)) }
        }
        let chosenStatus = status
        let chosenTrigger = trigger
        view = View(
            statuses: [Choice(value: "", label: "Any status", selected: chosenStatus == nil)]
                + RunStatus.allCases.map { Choice(value: $0.rawValue, label: $0.rawValue, selected: $0 == chosenStatus) },
            triggers: [Choice(value: "", label: "Any trigger", selected: chosenTrigger == nil)]
                + RunTrigger.allCases.map { Choice(value: $0.rawValue, label: $0.rawValue, selected: $0 == chosenTrigger) },
            from: from == nil ? "" : fromText ?? "", to: to == nil ? "" : toText ?? "", text: text ?? "")
    }

    var isActive: Bool { !pairs.isEmpty }

    func query(flowName: String?) -> RunQuery {
        RunQuery(flowName: flowName, status: status, trigger: trigger, createdFrom: from, createdBefore: to, text: text)
    }

    /// `?status=…&…` for links that keep the filters (empty without filters).
    func queryString() -> String {
        pairs.isEmpty ? "" : "?" + pairs.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: .urlQueryValue) ?? "")" }.joined(separator: "&")
    }

    /// `2026-12-01`, `2026-12-01T14:30`, `2026-12-01 14:30` (and with seconds) in `zone`. With
    /// `endOfDay`, a bare date means the moment after that day.
    static func date(_ text: String, endOfDay: Bool, in zone: TimeZone) -> Date? {
        let parts = text.replacingOccurrences(of: "T", with: " ").split(separator: " ")
        guard (1...2).contains(parts.count) else { return nil }
        let day = parts[0].split(separator: "-").compactMap { Int($0) }
        guard day.count == 3, (1...9999).contains(day[0]), (1...12).contains(day[1]), (1...31).contains(day[2]) else { return nil }
        var clock = [0, 0, 0]
        if parts.count == 2 {
            let values = parts[1].split(separator: ":").compactMap { Int($0) }
            guard (2...3).contains(values.count), (0...23).contains(values[0]), (0...59).contains(values[1]),
                values.count == 2 || (0...59).contains(values[2])
            else { return nil }
            clock = values + (values.count == 2 ? [0] : [])
        }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let components = DateComponents(year: day[0], month: day[1], day: day[2], hour: clock[0], minute: clock[1], second: clock[2])
        guard let date = calendar.date(from: components), calendar.component(.day, from: date) == day[2] else { return nil }
        if endOfDay, parts.count == 1 { return calendar.date(byAdding: .day, value: 1, to: date) }
        return date
    }
}

/// Text in CSV (RFC 4180): fields quoted when needed; a field that a spreadsheet would take for
/// a formula (`=`, `+`, `-`, `@` first) gets a leading apostrophe.
struct CSVText {
    private(set) var text = ""

    mutating func row(_ fields: [String]) {
        text += fields.map(Self.field).joined(separator: ",") + "\r\n"
    }

    /// A cell as CSV text: whole numbers without a decimal point, empty cells empty.
    static func text(_ cell: XLSXCell) -> String {
        switch cell {
        case .text(let text): text
        case .number(let number): number == number.rounded() && abs(number) < 1e15 ? String(Int64(number)) : String(number)
        case .bool(let value): value ? "TRUE" : "FALSE"
        case .empty: ""
        }
    }

    static func field(_ value: String) -> String {
        var value = value
        if let first = value.first, "=+-@\t\r".contains(first), Double(value) == nil { value = "'" + value }
        guard value.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return value }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

struct RunLogPage: Page {
    static let template = "runs"
    var frame: PageFrame
    /// The log of every workflow (with a workflow column), not of one.
    var allWorkflows: Bool
    var path: String
    /// The filters for the export links (`?status=…`, or empty).
    var exportQuery: String
    var filters: RunFilters.View
    var problems: [String]
    var rows: [RunRow]
    var total: Int
    var filtered: Bool
    var pager: Pager
    var perPage: Int
    var timeZone: String
}
