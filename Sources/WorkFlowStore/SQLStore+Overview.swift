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
    /// The first day counted, at midnight in the time zone.
    public var firstDay: Date
    /// Per day (index 0 is `firstDay`), runs per status.
    public var days: [[RunStatus: Int]]
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

    /// Runs per status for each of `days` days ending with the one holding `now`, days starting
    /// at midnight in `timeZone` (at its offset of `now`).
    public func runDayCounts(days: Int, now: Date, timeZone: TimeZone) async throws(StoreError) -> RunDayCounts {
        let dayMs: Int64 = 86_400_000
        let offsetMs = Int64(timeZone.secondsFromGMT(for: now)) * 1000
        let today = (StoreTime.milliseconds(now) + offsetMs) / dayMs
        let firstDay = today - Int64(max(1, days)) + 1
        let sinceMs = firstDay * dayMs - offsetMs
        let rows = try await StoreError.wrapping("count runs per day") {
            try await database.withConnection { session in
                try await session.all(
                    """
                    SELECT (created_at + \(bind: offsetMs)) / \(bind: dayMs) AS day, status, COUNT(*) AS n FROM runs
                    WHERE created_at >= \(bind: sinceMs) GROUP BY day, status
                    """)
            }
        }
        var counts = [[RunStatus: Int]](repeating: [:], count: Int(today - firstDay + 1))
        do {
            for row in rows {
                let index = Int(try row.int64("day") - firstDay)
                guard counts.indices.contains(index) else { continue }
                counts[index][try row.enumValue("status", table: "runs", as: RunStatus.self), default: 0] += try row.int("n")
            }
        } catch {
            throw StoreError.database(operation: "count runs per day", message: "\(error)")
        }
        return RunDayCounts(firstDay: StoreTime.date(sinceMs), days: counts)
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
