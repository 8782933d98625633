import Foundation
import SQLKit
import WorkFlowCron
import WorkFlowEngine

extension SQLStore: ScheduleStore {
    /// The columns every schedule query selects (schedules `s` joined with flows `f`).
    private static let scheduleColumns: SQLQueryString = """
        s.id AS id, f.name AS flow_name, s.name AS name, s.cron AS cron, s.timezone AS timezone, s.enabled AS enabled, \
        s.overlap AS overlap, s.misfire AS misfire, s.planned_through AS planned_through, s.backlog AS backlog, \
        s.created_at AS created_at, s.updated_at AS updated_at, s.created_by AS created_by, s.updated_by AS updated_by
        """

    /// The advisory lock the acting scheduler holds for each tick: "WorkCron".
    static let schedulerLockKey: Int64 = 0x576F_726B_4372_6F6E

    /// Creates a schedule of a live workflow, planned through `now` (fire times before it never run).
    public func createSchedule(
        flowName: String, name: String, settings: ScheduleSettings, author: String?, now: Date
    ) async throws(StoreError) -> StoredSchedule {
        try ScheduleName.validate(name)
        let time = StoreTime.milliseconds(now)
        return try await StoreError.wrapping("create schedule '\(name)' of workflow '\(flowName)'") {
            do {
                return try await database.withSession { session in
                    let flowID = try await liveFlowID(session, flowName)
                    if try await session.first(
                        "SELECT id FROM schedules WHERE flow_id = \(bind: flowID) AND name = \(bind: name)") != nil
                    {
                        throw StoreError.scheduleExists(flow: flowName, name: name)
                    }
                    let row = try await session.first(
                        """
                        INSERT INTO schedules (flow_id, name, cron, timezone, enabled, overlap, misfire, planned_through, backlog,
                            created_at, updated_at, created_by, updated_by)
                        VALUES (\(bind: flowID), \(bind: name), \(bind: settings.cron), \(bind: settings.timeZone),
                            \(bind: settings.enabled), \(bind: settings.overlap.rawValue), \(bind: settings.misfire.rawValue),
                            \(bind: time), \(bind: 0), \(bind: time), \(bind: time), \(bind: author), \(bind: author))
                        RETURNING id
                        """)
                    guard let id = try row?.int64("id") else {
                        throw StoreError.database(operation: "create schedule '\(name)'", message: "the new row's id was not returned")
                    }
                    return StoredSchedule(
                        id: id, flowName: flowName, name: name, settings: settings, plannedThrough: StoreTime.date(time),
                        createdAt: StoreTime.date(time), updatedAt: StoreTime.date(time), createdBy: author, updatedBy: author)
                }
            } catch let error where DatabaseErrorText.isUniqueViolation(error) {
                // Another writer created the same name between our check and our insert.
                throw StoreError.scheduleExists(flow: flowName, name: name)
            }
        }
    }

    /// One schedule of a live workflow; ``StoreError/flowNotFound(_:)`` or
    /// ``StoreError/scheduleNotFound(flow:name:)`` when there is none.
    public func schedule(flowName: String, name: String) async throws(StoreError) -> StoredSchedule {
        try await StoreError.wrapping("read schedule '\(name)' of workflow '\(flowName)'") {
            try await database.withConnection { session in
                let flowID = try await liveFlowID(session, flowName)
                return try await readSchedule(session, flowID: flowID, flowName: flowName, name: name, lock: false)
            }
        }
    }

    /// The schedules of one live workflow, or of every live workflow, ordered by workflow and name.
    public func listSchedules(flowName: String? = nil) async throws(StoreError) -> [StoredSchedule] {
        try await StoreError.wrapping(flowName.map { "list the schedules of workflow '\($0)'" } ?? "list the schedules") {
            try await database.withConnection { session in
                var sql: SQLQueryString = """
                    SELECT \(Self.scheduleColumns) FROM schedules s JOIN flows f ON f.id = s.flow_id
                    WHERE f.deleted = \(bind: false)
                    """
                if let flowName {
                    let flowID = try await liveFlowID(session, flowName)
                    sql += " AND s.flow_id = \(bind: flowID)"
                }
                sql += " ORDER BY f.name, s.name"
                return try await session.all(sql).map(StoredSchedule.init(row:))
            }
        }
    }

    /// Replaces a schedule's settings (and renames it when `newName` differs).
    ///
    /// Enabling a disabled schedule, or changing its expression or time zone, plans it from
    /// `now`: the time it was disabled, and fire times of the old expression, are not caught up.
    /// The `queue` backlog is kept only while the schedule stays enabled with overlap `queue`.
    public func updateSchedule(
        flowName: String, name: String, newName: String?, settings: ScheduleSettings, author: String?, now: Date
    ) async throws(StoreError) -> StoredSchedule {
        let newName = newName ?? name
        try ScheduleName.validate(newName)
        let time = StoreTime.milliseconds(now)
        return try await StoreError.wrapping("update schedule '\(name)' of workflow '\(flowName)'") {
            do {
                return try await database.withSession { session in
                    let flowID = try await liveFlowID(session, flowName)
                    var schedule = try await readSchedule(session, flowID: flowID, flowName: flowName, name: name, lock: true)
                    if newName != name,
                        try await session.first(
                            "SELECT id FROM schedules WHERE flow_id = \(bind: flowID) AND name = \(bind: newName)") != nil
                    {
                        throw StoreError.scheduleExists(flow: flowName, name: newName)
                    }
                    let old = schedule.settings
                    let replans = (!old.enabled && settings.enabled) || old.cron != settings.cron || old.timeZone != settings.timeZone
                    if replans {
                        schedule.plannedThrough = max(schedule.plannedThrough, StoreTime.date(time))
                    }
                    if replans || !settings.enabled || settings.overlap != .queue {
                        schedule.backlog = 0
                    }
                    schedule.name = newName
                    schedule.settings = settings
                    schedule.updatedAt = StoreTime.date(time)
                    schedule.updatedBy = author
                    try await session.run(
                        """
                        UPDATE schedules SET name = \(bind: newName), cron = \(bind: settings.cron),
                            timezone = \(bind: settings.timeZone), enabled = \(bind: settings.enabled),
                            overlap = \(bind: settings.overlap.rawValue), misfire = \(bind: settings.misfire.rawValue),
                            planned_through = \(bind: StoreTime.milliseconds(schedule.plannedThrough)),
                            backlog = \(bind: schedule.backlog), updated_at = \(bind: time), updated_by = \(bind: author)
                        WHERE id = \(bind: schedule.id)
                        """)
                    return schedule
                }
            } catch let error where DatabaseErrorText.isUniqueViolation(error) {
                throw StoreError.scheduleExists(flow: flowName, name: newName)
            }
        }
    }

    /// Removes a schedule. Runs it started stay, with their `triggered_by`.
    public func deleteSchedule(flowName: String, name: String) async throws(StoreError) {
        try await StoreError.wrapping("delete schedule '\(name)' of workflow '\(flowName)'") {
            try await database.withSession { session in
                let flowID = try await liveFlowID(session, flowName)
                let deleted = try await session.first(
                    "DELETE FROM schedules WHERE flow_id = \(bind: flowID) AND name = \(bind: name) RETURNING id")
                guard deleted != nil else { throw StoreError.scheduleNotFound(flow: flowName, name: name) }
            }
        }
    }

    /// Every enabled schedule of a live workflow, with whether the workflow is enabled and
    /// whether a run the schedule started is still queued or running.
    public func schedulesToPlan() async throws(StoreError) -> [ScheduleToPlan] {
        let active = [RunStatus.queued.rawValue, RunStatus.running.rawValue]
        return try await StoreError.wrapping("read the schedules to plan") {
            try await database.withConnection { session in
                try await session.all(
                    """
                    SELECT \(Self.scheduleColumns), f.enabled AS flow_enabled,
                        EXISTS (
                            SELECT 1 FROM runs r
                            WHERE r.flow_id = s.flow_id AND r.triggered_by = \(bind: ScheduleName.runActorPrefix) || s.name
                                AND r.status IN (\(binds: active))
                        ) AS has_active_run
                    FROM schedules s JOIN flows f ON f.id = s.flow_id
                    WHERE s.enabled = \(bind: true) AND f.deleted = \(bind: false)
                    ORDER BY f.name, s.name
                    """
                ).map { row in
                    ScheduleToPlan(
                        schedule: try StoredSchedule(row: row), flowEnabled: try row.bool("flow_enabled"),
                        hasActiveRun: try row.bool("has_active_run"))
                }
            }
        }
    }

    /// Stores a tick's decision. `planned_through` only moves forward, so a stale decision
    /// (another tick planned further meanwhile) changes nothing and returns `false`.
    public func recordPlan(scheduleID: Int64, plannedThrough: Date, backlog: Int) async throws(StoreError) -> Bool {
        let time = StoreTime.milliseconds(plannedThrough)
        return try await StoreError.wrapping("record the plan of schedule \(scheduleID)") {
            try await database.withWriter { session in
                try await session.first(
                    """
                    UPDATE schedules SET planned_through = \(bind: time), backlog = \(bind: max(0, backlog))
                    WHERE id = \(bind: scheduleID) AND planned_through <= \(bind: time)
                    RETURNING id
                    """) != nil
            }
        }
    }

    /// Runs `body` as the one acting scheduler.
    ///
    /// On PostgreSQL, `body` runs inside a transaction holding a transaction-level advisory lock,
    /// taken without waiting: when another node's scheduler holds it, this returns `nil` at once.
    /// `body`'s own writes go through other connections and commit before the lock is released,
    /// so the next holder sees them. SQLite serves one node, so `body` simply runs.
    public func withSchedulerLock<R: Sendable>(_ body: () async -> R) async throws(StoreError) -> R? {
        guard dialect == .postgres else { return await body() }
        return try await StoreError.wrapping("take the scheduler lock") {
            try await database.withSession { session in
                let row = try await session.first("SELECT pg_try_advisory_xact_lock(\(bind: Self.schedulerLockKey)) AS locked")
                guard try row?.bool("locked") == true else { return nil }
                return await body()
            }
        }
    }

    // MARK: - Helpers

    private func liveFlowID(_ session: StoreSession, _ flowName: String) async throws -> Int64 {
        guard
            let row = try await session.first(
                "SELECT id FROM flows WHERE name = \(bind: flowName) AND deleted = \(bind: false)")
        else {
            throw StoreError.flowNotFound(flowName)
        }
        return try row.int64("id")
    }

    /// Reads a schedule, locking its row on PostgreSQL when `lock` (SQLite's `BEGIN IMMEDIATE`
    /// already serialises writers).
    private func readSchedule(
        _ session: StoreSession, flowID: Int64, flowName: String, name: String, lock: Bool
    ) async throws -> StoredSchedule {
        let forUpdate: SQLQueryString = lock && session.dialect == .postgres ? " FOR UPDATE OF s" : ""
        guard
            let row = try await session.first(
                """
                SELECT \(Self.scheduleColumns) FROM schedules s JOIN flows f ON f.id = s.flow_id
                WHERE s.flow_id = \(bind: flowID) AND s.name = \(bind: name)\(forUpdate)
                """)
        else {
            throw StoreError.scheduleNotFound(flow: flowName, name: name)
        }
        return try StoredSchedule(row: row)
    }
}

extension StoredSchedule {
    init(row: any SQLRow) throws {
        self.init(
            id: try row.int64("id"), flowName: try row.string("flow_name"), name: try row.string("name"),
            settings: ScheduleSettings(
                cron: try row.string("cron"), timeZone: try row.string("timezone"), enabled: try row.bool("enabled"),
                overlap: try row.enumValue("overlap", table: "schedules", as: OverlapPolicy.self),
                misfire: try row.enumValue("misfire", table: "schedules", as: MisfirePolicy.self)),
            plannedThrough: try row.date("planned_through"), backlog: try row.int("backlog"),
            createdAt: try row.date("created_at"), updatedAt: try row.date("updated_at"),
            createdBy: try row.optionalString("created_by"), updatedBy: try row.optionalString("updated_by"))
    }
}
