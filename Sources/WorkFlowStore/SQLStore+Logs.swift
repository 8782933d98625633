import Foundation
import Logging
import SQLKit

extension SQLStore: LogStore {
    /// Columns per row of `syslog`, to keep statements under SQLite's bound-value limit.
    private static let logRowsPerStatement = 900 / 6

    /// Appends the lines in one transaction.
    public func appendLogs(_ entries: [LogEntry]) async throws(StoreError) {
        guard !entries.isEmpty else { return }
        try await StoreError.wrapping("write \(entries.count) log line(s)") {
            try await database.withSession { session in
                var start = 0
                while start < entries.count {
                    let chunk = entries[start..<min(entries.count, start + Self.logRowsPerStatement)]
                    start += chunk.count
                    let values = chunk.map { entry -> SQLQueryString in
                        """
                        (\(bind: StoreTime.milliseconds(entry.time)), \(bind: entry.level.rawValue), \(bind: entry.logger),
                         \(bind: entry.message), \(bind: entry.runID), \(bind: entry.stepName))
                        """
                    }
                    try await session.run(
                        "INSERT INTO syslog (time, level, logger, message, run_id, step_name) VALUES \(values.joined(separator: ", "))")
                }
            }
        }
    }

    /// Log lines newest first.
    public func logs(_ query: LogQuery = LogQuery()) async throws(StoreError) -> [LogEntry] {
        var sql: SQLQueryString = "SELECT id, time, level, logger, message, run_id, step_name FROM syslog WHERE 1 = 1"
        if let minimum = query.minimumLevel {
            let levels = Logger.Level.allCases.filter { $0 >= minimum }.map(\.rawValue)
            sql += " AND level IN (\(binds: levels))"
        }
        if let since = query.since {
            sql += " AND time >= \(bind: StoreTime.milliseconds(since))"
        }
        if let runID = query.runID {
            sql += " AND run_id = \(bind: runID)"
        }
        sql += " ORDER BY time DESC, id DESC LIMIT \(bind: max(0, query.limit))"
        let finalSQL = sql
        return try await StoreError.wrapping("read the system log") {
            try await database.withConnection { session in
                try await session.all(finalSQL).map(LogEntry.init(row:))
            }
        }
    }

    /// Deletes the lines older than `cutoff` and returns how many went.
    ///
    /// Counted and deleted in one transaction. Lines are appended with the current time, so none
    /// older than a past cutoff arrive between the count and the delete.
    public func purgeLogs(olderThan cutoff: Date) async throws(StoreError) -> Int {
        let cutoffMs = StoreTime.milliseconds(cutoff)
        return try await StoreError.wrapping("purge the system log") {
            try await database.withSession { session in
                let count = try await session.first("SELECT COUNT(*) AS count FROM syslog WHERE time < \(bind: cutoffMs)")?
                    .int64("count") ?? 0
                try await session.run("DELETE FROM syslog WHERE time < \(bind: cutoffMs)")
                return Int(count)
            }
        }
    }
}

extension LogEntry {
    init(row: any SQLRow) throws {
        self.init(
            id: try row.int64("id"), time: try row.date("time"),
            level: try row.enumValue("level", table: "syslog", as: Logger.Level.self), logger: try row.string("logger"),
            message: try row.string("message"), runID: try row.optionalInt64("run_id"), stepName: try row.optionalString("step_name"))
    }
}
