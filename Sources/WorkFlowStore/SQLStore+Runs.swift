import Foundation
import Logging
import SQLKit
import WorkFlowEngine

extension SQLStore: RunStore {
    private static let runColumns: SQLQueryString = """
        id, flow_name, flow_version, "trigger", triggered_by, inputs, status, created_at, started_at, ended_at, \
        duration_ms, error, node
        """

    static let stepColumns =
        "run_id, step_order, name, module, method, params, status, attempts, started_at, ended_at, duration_ms, result, error, logs"

    /// Statements stay under SQLite's historical limit of 999 bound values.
    private static let maximumBindsPerStatement = 900

    /// Creates a run row (linked to the live workflow of that name, if any) and returns it with its new id.
    ///
    /// A run created `running` is stamped as started now; ``markRunStarted(runID:startedAt:steps:)``
    /// replaces that with the executor's time.
    public func createRun(
        flowName: String, flowVersion: Int?, document: JSONObject, trigger: RunTrigger, triggeredBy: String?,
        inputs: JSONObject, status: RunStatus = .running, node: String? = nil
    ) async throws(StoreError) -> StoredRun {
        let now = nowMilliseconds()
        let startedAt: Int64? = status == .running ? now : nil
        let run = StoredRun(
            id: 0, flowName: flowName, flowVersion: flowVersion, trigger: trigger, triggeredBy: triggeredBy, inputs: inputs,
            status: status, createdAt: StoreTime.date(now), startedAt: startedAt.map(StoreTime.date), endedAt: nil,
            durationMs: nil, error: nil, node: node)
        return try await StoreError.wrapping("create a run of workflow '\(flowName)'") {
            try await database.withWriter { session in
                try await insertRun(session, run, document: document)
            }
        }
    }

    /// Inserts `run` (its id is ignored), linked to the live workflow of its name if any, and
    /// returns it with its new id.
    func insertRun(_ session: StoreSession, _ run: StoredRun, document: JSONObject) async throws -> StoredRun {
        let row = try await session.first(
            """
            INSERT INTO runs (flow_id, flow_name, flow_version, document, "trigger", triggered_by, inputs, status,
                created_at, started_at, node)
            VALUES (
                (SELECT id FROM flows WHERE name = \(bind: run.flowName) AND deleted = \(bind: false)),
                \(bind: run.flowName), \(bind: run.flowVersion), \(bind: JSONColumn.text(document)), \(bind: run.trigger.rawValue),
                \(bind: run.triggeredBy), \(bind: JSONColumn.text(run.inputs)), \(bind: run.status.rawValue),
                \(bind: StoreTime.milliseconds(run.createdAt)), \(bind: run.startedAt.milliseconds), \(bind: run.node))
            RETURNING id
            """)
        guard let id = try row?.int64("id") else {
            throw StoreError.database(operation: "create a run", message: "the new row's id was not returned")
        }
        var inserted = run
        inserted.id = id
        return inserted
    }

    /// Marks the run running from `startedAt` and writes every step (normally all pending) in one
    /// transaction, as ``recordProgress(runID:startedAt:steps:claimedBy:)`` does.
    public func markRunStarted(runID: Int64, startedAt: Date, steps: [StepRecord]) async throws(StoreError) {
        try await recordProgress(runID: runID, startedAt: startedAt, steps: steps)
    }

    /// Writes a step that started (insert or update of its row).
    public func recordStepStarted(runID: Int64, step: StepRecord) async throws(StoreError) {
        try await recordProgress(runID: runID, startedAt: nil, steps: [step])
    }

    /// Writes a step that finished (insert or update of its row).
    public func recordStepFinished(runID: Int64, step: StepRecord) async throws(StoreError) {
        try await recordProgress(runID: runID, startedAt: nil, steps: [step])
    }

    /// Writes how the run ended, and every step as the result reports it, in one transaction.
    public func finishRun(runID: Int64, result: RunResult) async throws(StoreError) {
        try await finishRun(runID: runID, result: result, writingSteps: result.steps)
    }

    /// Writes how the run ended and the step rows in `steps` (those not yet written as they are),
    /// and removes its queue entry, in one transaction (shared with other runs ending at the same
    /// moment; see ``GroupCommit``). A recorder passes only the steps it has not written:
    /// rewriting a long run's steps would cost as much as recording them did.
    ///
    /// See also ``RunQueue/finishClaimedRun(runID:node:result:writingSteps:)``, which first checks the lease.
    public func finishRun(runID: Int64, result: RunResult, writingSteps steps: [StepRecord]) async throws(StoreError) {
        _ = try await finish(RunEnd(runID: runID, node: nil, result: result, steps: steps))
    }

    /// Writes, in one transaction, what a running run did since its last write: its start (when
    /// `startedAt` is given) and the step rows in `steps`. For a run claimed from the queue
    /// (`claimedBy`), only while that node still holds it: returns `false`, writing nothing, when
    /// the lease was lost (the reaper failed or requeued the run while its node stalled).
    /// Throws ``StoreError/runNotFound(_:)`` for an unknown run.
    @discardableResult
    public func recordProgress(runID: Int64, startedAt: Date?, steps: [StepRecord], claimedBy: String? = nil) async throws(StoreError) -> Bool {
        guard startedAt != nil || !steps.isEmpty else { return true }
        return try await StoreError.wrapping("record the progress of run \(runID)") {
            do {
                return try await database.withSession { session in
                    if let claimedBy {
                        // The entry's lock first, as on every path; the reaper skips a held entry.
                        let share: SQLQueryString = session.dialect == .postgres ? " FOR SHARE" : ""
                        let entry = try await session.first(
                            "SELECT run_id FROM run_queue WHERE run_id = \(bind: runID) AND claimed_by = \(bind: claimedBy)\(share)")
                        guard entry != nil else { return false }
                    }
                    if let startedAt {
                        let updated = try await session.first(
                            """
                            UPDATE runs SET status = \(bind: RunStatus.running.rawValue), started_at = \(bind: StoreTime.milliseconds(startedAt))
                            WHERE id = \(bind: runID) RETURNING id
                            """)
                        guard updated != nil else { throw StoreError.runNotFound(runID) }
                    }
                    try await upsertSteps(session, runID: runID, steps: steps)
                    return true
                }
            } catch let error where DatabaseErrorText.isForeignKeyViolation(error) {
                throw StoreError.runNotFound(runID)
            }
        }
    }

    /// The run with this id, or `nil`.
    public func run(id: Int64) async throws(StoreError) -> StoredRun? {
        try await StoreError.wrapping("read run \(id)") {
            try await database.withConnection { session in
                try await session.first("SELECT \(Self.runColumns) FROM runs WHERE id = \(bind: id)").map(StoredRun.init(row:))
            }
        }
    }

    /// The workflow document the run executed (its snapshot), or `nil` when there is no such run.
    public func runDocument(id: Int64) async throws(StoreError) -> JSONObject? {
        try await StoreError.wrapping("read the document of run \(id)") {
            try await database.withConnection { session in
                guard let text = try await session.first("SELECT document FROM runs WHERE id = \(bind: id)")?.string("document") else {
                    return nil
                }
                return try JSONColumn.object(text, table: "runs", column: "document")
            }
        }
    }

    /// The run's steps in workflow order (empty for an unknown run).
    public func steps(runID: Int64) async throws(StoreError) -> [StepRecord] {
        try await StoreError.wrapping("read the steps of run \(runID)") {
            try await database.withConnection { session in
                try await session.all(
                    "SELECT \(unsafeRaw: Self.stepColumns) FROM run_steps WHERE run_id = \(bind: runID) ORDER BY step_order"
                ).map(StepRecord.init(row:))
            }
        }
    }

    /// Runs newest first.
    public func listRuns(_ query: RunQuery = RunQuery()) async throws(StoreError) -> [StoredRun] {
        var sql: SQLQueryString = "SELECT \(Self.runColumns) FROM runs WHERE \(Self.conditions(query))"
        sql += " ORDER BY id DESC LIMIT \(bind: max(0, query.limit)) OFFSET \(bind: max(0, query.offset))"
        let finalSQL = sql
        return try await StoreError.wrapping("list runs") {
            try await database.withConnection { session in
                try await session.all(finalSQL).map(StoredRun.init(row:))
            }
        }
    }

    /// How many runs match `query` (its limit and offset aside).
    public func countRuns(_ query: RunQuery) async throws(StoreError) -> Int {
        let sql: SQLQueryString = "SELECT COUNT(*) AS n FROM runs WHERE \(Self.conditions(query))"
        return try await StoreError.wrapping("count runs") {
            try await database.withConnection { session in try await session.first(sql)?.int("n") ?? 0 }
        }
    }

    /// The `WHERE` conditions of a run query.
    private static func conditions(_ query: RunQuery) -> SQLQueryString {
        var sql: SQLQueryString = "1 = 1"
        if let flowName = query.flowName {
            sql += """
                 AND (flow_id IN (SELECT id FROM flows WHERE name = \(bind: flowName))
                    OR (flow_id IS NULL AND flow_name = \(bind: flowName)))
                """
        }
        if let status = query.status {
            sql += " AND status = \(bind: status.rawValue)"
        }
        if let trigger = query.trigger {
            sql += #" AND "trigger" = \#(bind: trigger.rawValue)"#
        }
        if let from = query.createdFrom {
            sql += " AND created_at >= \(bind: StoreTime.milliseconds(from))"
        }
        if let before = query.createdBefore {
            sql += " AND created_at < \(bind: StoreTime.milliseconds(before))"
        }
        if let text = query.text?.trimmingCharacters(in: .whitespaces), !text.isEmpty {
            let pattern = likePattern(containing: text.lowercased())
            sql += """
                 AND (LOWER(flow_name) LIKE \(bind: pattern) ESCAPE '\\' OR LOWER(COALESCE(triggered_by, '')) LIKE \(bind: pattern) ESCAPE '\\'
                    OR LOWER(COALESCE(error, '')) LIKE \(bind: pattern) ESCAPE '\\'
                """
            if let id = Int64(text) { sql += " OR id = \(bind: id)" }
            sql += ")"
        }
        return sql
    }

    /// Closes the runs a dead process left `running` or `queued` (those of `node`, or all when
    /// `node` is nil) as `failed` with ``InterruptedRun/error``; their running steps fail with
    /// the same error and their pending steps are skipped. Returns how many runs were closed.
    ///
    /// Runs in the run queue are left alone: a waiting one has not started anywhere, and one
    /// held by a worker is the lease reaper's (``RunQueue/reapExpiredLeases(now:maximumAttempts:)``),
    /// which applies its workflow's ``InterruptPolicy``.
    public func closeInterruptedRuns(node: String?, now: Date) async throws(StoreError) -> Int {
        let open: [String] = [RunStatus.running.rawValue, RunStatus.queued.rawValue]
        var interrupted: SQLQueryString = """
            SELECT id FROM runs WHERE status IN (\(binds: open))
                AND NOT EXISTS (SELECT 1 FROM run_queue WHERE run_queue.run_id = runs.id)
            """
        if let node {
            interrupted += " AND node = \(bind: node)"
        }
        let runIDs = interrupted
        return try await StoreError.wrapping("close interrupted runs") {
            try await database.withSession { session in
                let closed = try await closeStoppedRuns(
                    session, runIDs: runIDs, status: .failed, error: InterruptedRun.error, now: StoreTime.milliseconds(now))
                if !closed.isEmpty {
                    logger.warning("closed interrupted runs", metadata: ["runs": "\(closed.count)", "node": "\(node ?? "any")"])
                }
                return closed.count
            }
        }
    }

    /// Ends runs whose process stopped: their running steps fail with ``InterruptedRun/error``,
    /// their pending steps are skipped, and the runs get `status` and `error`, ending `now`.
    /// `runIDs` is a query or list of run ids. Returns the ids of the runs closed.
    func closeStoppedRuns(
        _ session: StoreSession, runIDs: SQLQueryString, status: RunStatus, error: String, now nowMs: Int64
    ) async throws -> [Int64] {
        try await session.run(
            """
            UPDATE run_steps SET status = \(bind: StepStatus.failed.rawValue), error = \(bind: InterruptedRun.error),
                ended_at = \(bind: nowMs),
                duration_ms = CASE WHEN started_at IS NULL THEN NULL ELSE \(bind: nowMs) - started_at END
            WHERE status = \(bind: StepStatus.running.rawValue) AND run_id IN (\(runIDs))
            """)
        try await session.run(
            """
            UPDATE run_steps SET status = \(bind: StepStatus.skipped.rawValue), error = \(bind: InterruptedRun.skippedStepError)
            WHERE status = \(bind: StepStatus.pending.rawValue) AND run_id IN (\(runIDs))
            """)
        return try await session.all(
            """
            UPDATE runs SET status = \(bind: status.rawValue), error = \(bind: error), ended_at = \(bind: nowMs),
                duration_ms = CASE WHEN started_at IS NULL THEN NULL ELSE \(bind: nowMs) - started_at END
            WHERE id IN (\(runIDs))
            RETURNING id
            """
        ).map { try $0.int64("id") }
    }

    // MARK: - Helpers

    /// Inserts or updates step rows keyed by (run_id, step_order), several rows per statement.
    func upsertSteps(_ session: StoreSession, runID: Int64, steps: [StepRecord]) async throws {
        try await upsertSteps(session, rows: steps.map { (runID, $0) })
    }

    /// Inserts or updates the step rows of several runs, several rows per statement.
    func upsertSteps(_ session: StoreSession, rows: [(runID: Int64, step: StepRecord)]) async throws {
        let columnCount = 14
        let rowsPerStatement = Self.maximumBindsPerStatement / columnCount
        var start = 0
        while start < rows.count {
            let chunk = rows[start..<min(rows.count, start + rowsPerStatement)]
            start += chunk.count
            let values = chunk.map { (runID, step) -> SQLQueryString in
                """
                (\(bind: runID), \(bind: step.order), \(bind: step.name), \(bind: step.module), \(bind: step.method),
                 \(bind: JSONColumn.text(step.params)), \(bind: step.status.rawValue), \(bind: step.attempts),
                 \(bind: step.startedAt.milliseconds), \(bind: step.endedAt.milliseconds), \(bind: step.durationMs),
                 \(bind: step.result.map(JSONColumn.text)), \(bind: step.error), \(bind: StepLogs.text(step.logs)))
                """
            }
            try await session.run(
                """
                INSERT INTO run_steps (\(unsafeRaw: Self.stepColumns)) VALUES \(values.joined(separator: ", "))
                ON CONFLICT (run_id, step_order) DO UPDATE SET
                    name = excluded.name, module = excluded.module, method = excluded.method, params = excluded.params,
                    status = excluded.status, attempts = excluded.attempts, started_at = excluded.started_at,
                    ended_at = excluded.ended_at, duration_ms = excluded.duration_ms, result = excluded.result,
                    error = excluded.error, logs = excluded.logs
                """)
        }
    }
}

/// A step's log lines as a JSON array of `{"time": <Unix ms>, "level": "info", "message": "..."}`.
enum StepLogs {
    static func text(_ lines: [StepLogLine]) -> String {
        JSONColumn.text(
            .array(
                lines.map { line in
                    .object([
                        "time": .int(Int(StoreTime.milliseconds(line.time))), "level": .string(line.level.rawValue),
                        "message": .string(line.message),
                    ])
                }))
    }

    static func lines(_ text: String) throws(StoreError) -> [StepLogLine] {
        guard case .array(let items) = try JSONColumn.value(text, table: "run_steps", column: "logs") else {
            throw StoreError.corruptValue(table: "run_steps", column: "logs", problem: "expected a JSON array")
        }
        var lines: [StepLogLine] = []
        for item in items {
            guard let time = item["time"]?.intValue, let levelName = item["level"]?.stringValue,
                let level = Logger.Level(rawValue: levelName), let message = item["message"]?.stringValue
            else {
                throw StoreError.corruptValue(
                    table: "run_steps", column: "logs", problem: "expected {\"time\", \"level\", \"message\"} in every line")
            }
            lines.append(StepLogLine(time: StoreTime.date(Int64(time)), level: level, message: message))
        }
        return lines
    }
}

extension StoredRun {
    init(row: any SQLRow) throws {
        self.init(
            id: try row.int64("id"), flowName: try row.string("flow_name"), flowVersion: try row.optionalInt("flow_version"),
            trigger: try row.enumValue("trigger", table: "runs", as: RunTrigger.self),
            triggeredBy: try row.optionalString("triggered_by"),
            inputs: try JSONColumn.object(try row.string("inputs"), table: "runs", column: "inputs"),
            status: try row.enumValue("status", table: "runs", as: RunStatus.self), createdAt: try row.date("created_at"),
            startedAt: try row.optionalDate("started_at"), endedAt: try row.optionalDate("ended_at"),
            durationMs: try row.optionalInt("duration_ms"), error: try row.optionalString("error"),
            node: try row.optionalString("node"))
    }
}

extension StepRecord {
    init(row: any SQLRow) throws {
        self.init(
            name: try row.string("name"), order: try row.int("step_order"), module: try row.string("module"),
            method: try row.string("method"),
            params: try JSONColumn.value(try row.string("params"), table: "run_steps", column: "params"),
            status: try row.enumValue("status", table: "run_steps", as: StepStatus.self), attempts: try row.int("attempts"),
            startedAt: try row.optionalDate("started_at"), endedAt: try row.optionalDate("ended_at"),
            durationMs: try row.optionalInt("duration_ms"),
            result: try row.optionalString("result").map { text throws(StoreError) in
                try JSONColumn.value(text, table: "run_steps", column: "result")
            },
            error: try row.optionalString("error"), logs: try StepLogs.lines(try row.string("logs")))
    }
}
