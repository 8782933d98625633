import Foundation
import Hummingbird
import WorkFlowEngine
import WorkFlowStore

/// `/`: how the workflows and their runs are doing.
struct DashboardPages {
    let web: WebEnvironment
    let pages: PageRenderer

    /// Days in the runs-per-day chart, and how many of each day's newest runs its percentiles use.
    static let chartDays = 14
    static let durationSample = 2000

    func addRoutes(to routes: PageRoutes) {
        routes.get("/") { page in try await dashboard(page) }
    }

    private func dashboard(_ page: PageRequest) async throws -> Response {
        let store = web.store
        let time = await web.displayTime()
        let window = PageWindow(page)
        async let total = store.countFlows(FlowQuery())
        async let enabled = store.countFlows(FlowQuery(enabled: true))
        async let counts = store.runDayCounts(days: Self.chartDays, now: time.now, timeZone: time.timeZone)
        async let depth = store.queueDepth()
        async let recentFlows = store.recentlyUpdatedFlows(limit: 8)
        async let recentRuns = store.listRuns(RunQuery(limit: window.perPage + 1, offset: window.offset))
        let flows = try await recentFlows
        let lastRuns = try await store.lastRuns(flowIDs: flows.map(\.id))
        let days = try await counts
        let durations = try await durationPercentiles(days)
        let runs = try await recentRuns

        let today = days.days.last ?? [:]
        let week = days.days.suffix(7)
        let ended = week.reduce(0) { $0 + ($1[.success] ?? 0) + ($1[.failed] ?? 0) + ($1[.cancelled] ?? 0) }
        let succeeded = week.reduce(0) { $0 + ($1[.success] ?? 0) }
        let flowTotal = try await total
        let flowEnabled = try await enabled
        let queue = try await depth
        let chart = RunChart.make(days, durations: durations, timeZone: time.timeZone)
        let model = DashboardPage(
            frame: page.frame("Dashboard"),
            workflows: .init(total: flowTotal, enabled: flowEnabled, disabled: flowTotal - flowEnabled),
            today: RunStatus.allCases.map { StatusCount(status: $0.rawValue, count: today[$0] ?? 0) },
            successRate: ended == 0 ? "–" : "\(Int((Double(succeeded) / Double(ended) * 100).rounded()))%",
            endedThisWeek: ended,
            queued: queue.queued, claimed: queue.claimed,
            chart: chart, chartJSON: ScriptJSON.embed(chart.json),
            recentFlows: flows.map { WorkflowRow.make($0, lastRun: lastRuns[$0.id], time: time) },
            recentRuns: runs.prefix(window.perPage).map { RunRow.make($0, time: time) },
            pager: window.pager(path: "/", filters: [], shown: min(runs.count, window.perPage), total: nil, hasMore: runs.count > window.perPage))
        return pages.response(model)
    }

    /// The median and 95th percentile run duration of each day (of its newest runs).
    private func durationPercentiles(_ days: RunDayCounts) async throws -> [(p50: Int, p95: Int)?] {
        var result: [(p50: Int, p95: Int)?] = []
        for index in days.days.indices {
            let durations = try await web.store.recentRunDurations(
                from: days.boundaries[index], to: days.boundaries[index + 1], limit: Self.durationSample)
                .sorted()
            result.append(durations.isEmpty ? nil : (Self.percentile(durations, 0.5), Self.percentile(durations, 0.95)))
        }
        return result
    }

    /// The value below which `fraction` of the sorted values lie (nearest rank).
    static func percentile(_ sorted: [Int], _ fraction: Double) -> Int {
        let rank = Int((fraction * Double(sorted.count)).rounded(.up))
        return sorted[min(sorted.count - 1, max(0, rank - 1))]
    }
}

struct DashboardPage: Page {
    static let template = "dashboard"
    var frame: PageFrame
    var workflows: WorkflowCounts
    var today: [StatusCount]
    var successRate: String
    var endedThisWeek: Int
    var queued: Int
    var claimed: Int
    var chart: RunChart
    /// The chart's data for the page's script, in a `<script type="application/json">` block.
    var chartJSON: String
    var recentFlows: [WorkflowRow]
    var recentRuns: [RunRow]
    var pager: Pager

    struct WorkflowCounts: Sendable {
        var total: Int
        var enabled: Int
        var disabled: Int
    }
}

struct StatusCount: Sendable {
    var status: String
    var count: Int
}

/// Runs per day by status and the duration percentiles, as a table (always there) and as data
/// for the chart script.
struct RunChart: Sendable {
    var rows: [Day]

    struct Day: Sendable {
        var label: String
        var success: Int
        var failed: Int
        var cancelled: Int
        var other: Int
        var p50: String
        var p95: String
        var p50ms: Int?
        var p95ms: Int?
    }

    static func make(_ counts: RunDayCounts, durations: [(p50: Int, p95: Int)?], timeZone: TimeZone) -> RunChart {
        let time = DisplayTime(timeZone: timeZone, now: Date())
        let rows = counts.days.enumerated().map { index, day in
            let label = String(time.text(counts.boundaries[index]).prefix(10))
            let duration = index < durations.count ? durations[index] : nil
            return Day(
                label: label, success: day[.success] ?? 0, failed: day[.failed] ?? 0, cancelled: day[.cancelled] ?? 0,
                other: (day[.queued] ?? 0) + (day[.running] ?? 0),
                p50: duration.map { DisplayTime.duration(milliseconds: $0.p50) } ?? "–",
                p95: duration.map { DisplayTime.duration(milliseconds: $0.p95) } ?? "–",
                p50ms: duration?.p50, p95ms: duration?.p95)
        }
        return RunChart(rows: rows)
    }

    var json: JSONValue {
        func ints(_ values: [Int]) -> JSONValue { .array(values.map { .int($0) }) }
        return [
            "labels": .array(rows.map { .string($0.label) }),
            "success": ints(rows.map(\.success)), "failed": ints(rows.map(\.failed)),
            "cancelled": ints(rows.map(\.cancelled)), "other": ints(rows.map(\.other)),
            "p50": .array(rows.map { $0.p50ms.map { .int($0) } ?? .null }),
            "p95": .array(rows.map { $0.p95ms.map { .int($0) } ?? .null }),
        ]
    }
}

/// A workflow in a list: its name, state, size and how it last ran.
struct WorkflowRow: Sendable {
    var name: String
    /// The name as it goes into a path.
    var path: String
    var enabled: Bool
    var steps: Int
    var lastRunID: Int64?
    var lastRunStatus: String?
    var lastRunWhen: String?
    var lastRunTime: String?
    var updated: String
    var updatedTime: String
    var hasInputs: Bool

    static func make(_ flow: StoredFlow, lastRun: LastRun?, time: DisplayTime) -> WorkflowRow {
        var steps = 0
        if case .array(let procedures)? = flow.document["procedures"] { steps = procedures.count }
        var hasInputs = false
        if case .object(let inputs)? = flow.document["inputs"] { hasInputs = !inputs.isEmpty }
        if case .array(let inputs)? = flow.document["inputs"] { hasInputs = !inputs.isEmpty }
        return WorkflowRow(
            name: flow.name, path: pathSegment(flow.name),
            enabled: flow.enabled, steps: steps, lastRunID: lastRun?.runID, lastRunStatus: lastRun?.status.rawValue,
            lastRunWhen: lastRun.map { time.relative($0.createdAt) }, lastRunTime: lastRun.map { time.text($0.createdAt) },
            updated: time.relative(flow.updatedAt), updatedTime: time.text(flow.updatedAt), hasInputs: hasInputs)
    }
}

/// A run in a list.
struct RunRow: Sendable {
    var id: Int64
    var flowName: String
    var flowPath: String
    var status: String
    var trigger: String
    var triggeredBy: String
    var when: String
    var time: String
    var duration: String
    var href: String
    /// The run whose page lists it (in the page's list of recent runs).
    var current = false

    static func make(_ run: StoredRun, time: DisplayTime) -> RunRow {
        RunRow(
            id: run.id, flowName: run.flowName,
            flowPath: WorkflowRow.pathSegment(run.flowName),
            status: run.status.rawValue, trigger: run.trigger.rawValue, triggeredBy: run.triggeredBy ?? "",
            when: time.relative(run.createdAt), time: time.text(run.createdAt),
            duration: run.durationMs.map { DisplayTime.duration(milliseconds: $0) } ?? "–", href: RunPages.path(run))
    }
}
