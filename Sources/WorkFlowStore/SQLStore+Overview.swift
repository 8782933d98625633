import Foundation
import SQLKit
import WorkFlowEngine

/// A workflow's newest run, for lists that show when and how each workflow last ran.
public struct LastRun: Sendable, Hashable {
    public var runID: Int64
    public var status: RunStatus
    public var createdAt: Date
}

/// How many runs of each status were created on each day, days counted in a time zone.
public struct RunDayCounts: Sendable, Hashable {
    /// Each day's first moment (midnight in the time zone), oldest first, and the moment after
    /// the last day as the last element: `days.count + 1` boundaries. Days around a change of
    /// clock are 23 or 25 hours long.
    public var boundaries: [Date]
    /// Per day (index 0 is the oldest), runs per status.
    public var days: [[RunStatus: Int]]

    public var firstDay: Date { boundaries.first ?? Date(timeIntervalSince1970: 0) }
}

/// The reads behind the web UI's overviews (the dashboard and the workflow list).
extension SQLStore {
    /// How many workflows match `query` (its limit and offset aside).
    public func countFlows(_ query: FlowQuery) async throws(StoreError) -> Int {
        var sql: SQLQueryString = "SELECT COUNT(*) AS n FROM flows WHERE 1 = 1"
        if !query.includeDeleted { sql += " AND deleted = \(bind: false)" }
        if let enabled = query.enabled { sql += " AND enabled = \(bind: enabled)" }
        if let text = query.text, !text.isEmpty {
            sql += " AND LOWER(name) LIKE \(bind: Self.likePattern(containing: text.lowercased())) ESCAPE '\\'"
        }
        let finalSQL = sql
        return try await StoreError.wrapping("count workflows") {
            try await database.withConnection { session in try await session.first(finalSQL)?.int("n") ?? 0 }
        }
    }

    /// The live workflows changed most recently, newest first.
    public func recentlyUpdatedFlows(limit: Int) async throws(StoreError) -> [StoredFlow] {
        try await StoreError.wrapping("list recently changed workflows") {
            try await database.withConnection { session in
                try await session.all(
                    "SELECT \(Self.flowColumns) FROM flows WHERE deleted = \(bind: false) ORDER BY updated_at DESC, id DESC LIMIT \(bind: max(0, limit))"
                ).map(StoredFlow.init(row:))
            }
        }
    }

    /// The newest run of each of these workflows (by id); workflows never run are absent.
    public func lastRuns(flowIDs: [Int64]) async throws(StoreError) -> [Int64: LastRun] {
        guard !flowIDs.isEmpty else { return [:] }
        return try await StoreError.wrapping("read the last runs of workflows") {
            var found: [Int64: LastRun] = [:]
            for chunk in Self.chunks(of: flowIDs) {
                let rows = try await database.withConnection { session in
                    try await session.all(
                        """
                        SELECT r.flow_id, r.id, r.status, r.created_at FROM runs r
                        WHERE r.id IN (SELECT MAX(id) FROM runs WHERE flow_id IN (\(binds: chunk)) GROUP BY flow_id)
                        """)
                }
                for row in rows {
                    found[try row.int64("flow_id")] = LastRun(
                        runID: try row.int64("id"), status: try row.enumValue("status", table: "runs", as: RunStatus.self),
                        createdAt: try row.date("created_at"))
                }
            }
            return found
        }
    }

    /// Runs per status for each of `days` days ending with the one holding `now`, each day from
    /// midnight to midnight in `timeZone` (so a day with a change of clock has its true length).
    public func runDayCounts(days: Int, now: Date, timeZone: TimeZone) async throws(StoreError) -> RunDayCounts {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let count = max(1, days)
        let today = calendar.startOfDay(for: now)
        let boundaries = (0...count).map { offset in
            calendar.date(byAdding: .day, value: offset - count + 1, to: today) ?? today.addingTimeInterval(Double(offset - count + 1) * 86_400)
        }
        let millis = boundaries.map(StoreTime.milliseconds)
        // CASE picks each run's day from the boundaries (bound values, one per day).
        var day: SQLQueryString = "CASE"
        for index in 1..<count {
            day += " WHEN created_at < \(bind: millis[index]) THEN \(bind: index - 1)"
        }
        day += " ELSE \(bind: count - 1) END"
        let sql: SQLQueryString = """
            SELECT \(day) AS day, status, COUNT(*) AS n FROM runs
            WHERE created_at >= \(bind: millis[0]) AND created_at < \(bind: millis[count]) GROUP BY day, status
            """
        let rows = try await StoreError.wrapping("count runs per day") {
            try await database.withConnection { session in try await session.all(sql) }
        }
        var counts = [[RunStatus: Int]](repeating: [:], count: count)
        do {
            for row in rows {
                let index = try row.int("day")
                guard counts.indices.contains(index) else { continue }
                counts[index][try row.enumValue("status", table: "runs", as: RunStatus.self), default: 0] += try row.int("n")
            }
        } catch {
            throw StoreError.database(operation: "count runs per day", message: "\(error)")
        }
        return RunDayCounts(boundaries: boundaries, days: counts)
    }

    /// Whether run `runID` belongs to the workflow now called `name` (runs follow renames).
    public func run(_ runID: Int64, belongsTo name: String) async throws(StoreError) -> Bool {
        try await StoreError.wrapping("check the workflow of run \(runID)") {
            try await database.withConnection { session in
                try await session.first(
                    "SELECT r.id FROM runs r JOIN flows f ON f.id = r.flow_id WHERE r.id = \(bind: runID) AND f.name = \(bind: name)") != nil
            }
        }
    }

    /// The durations in milliseconds of up to `limit` of the newest runs created between the two
    /// times that have ended, in no particular order: enough for percentiles without reading
    /// every run of a busy day.
    public func recentRunDurations(from start: Date, to end: Date, limit: Int) async throws(StoreError) -> [Int] {
        try await StoreError.wrapping("read run durations") {
            try await database.withConnection { session in
                try await session.all(
                    """
                    SELECT duration_ms FROM runs
                    WHERE created_at >= \(bind: StoreTime.milliseconds(start)) AND created_at < \(bind: StoreTime.milliseconds(end))
                        AND duration_ms IS NOT NULL
                    ORDER BY created_at DESC LIMIT \(bind: max(0, limit))
                    """
                ).map { try $0.int("duration_ms") }
            }
        }
    }
}
