import Foundation
import SQLKit
import WorkFlowEngine

/// A run to queue: the row to insert, its document, and the steps a resumed run takes as done.
struct QueuedRun: Sendable {
    var run: StoredRun
    var document: JSONObject
    var priority: Int
    var reusedSteps: [StepRecord]
}

/// A run's end to write; `node` is the claimer whose lease must still hold, `nil` for a run
/// not claimed from the queue.
struct RunEnd: Sendable {
    var runID: Int64
    var node: String?
    var result: RunResult
    var steps: [StepRecord]
}

/// The group commits of one store: runs queued, runs ended, audit entries.
final class RunWriteGroups: Sendable {
    /// Runs per transaction at most.
    static let maximumBatch = 64

    let enqueues = GroupCommit<QueuedRun, StoredRun>(maximumBatch: maximumBatch)
    let ends = GroupCommit<RunEnd, Bool>(maximumBatch: maximumBatch)
    let audit = GroupCommit<AuditEntry, Void>(maximumBatch: maximumBatch)
}

/// Queueing and finishing runs, many per transaction when many callers write at once.
///
/// A batch is one transaction. When the database refuses a batch of ends or audit entries for
/// what one of them holds, each is written again alone, so that one bad request fails only its
/// own caller.
extension SQLStore {
    /// Writes a `queued` run and its queue entry; returns the run with its id.
    func enqueue(_ queued: QueuedRun) async throws(StoreError) -> StoredRun {
        try await runWrites.enqueues.submit(queued) { [self] batch in await writeQueuedRuns(batch) }.get()
    }

    /// Writes a run's end; returns whether it was written (`false`: the claimer lost the lease).
    func finish(_ end: RunEnd) async throws(StoreError) -> Bool {
        try await runWrites.ends.submit(end) { [self] batch in await writeRunEnds(batch) }.get()
    }

    func writeQueuedRuns(_ batch: [QueuedRun]) async -> [Result<StoredRun, StoreError>] {
        let operation = batch.count == 1 ? "enqueue a run of workflow '\(batch[0].run.flowName)'" : "enqueue \(batch.count) runs"
        do {
            let inserted = try await StoreError.wrapping(operation) {
                try await database.withSession { session in
                    // Ids first, so the whole batch is one statement per table.
                    let ids = try await reserveRunIDs(session, count: batch.count)
                    let inserted = zip(batch, ids).map { queued, id in
                        var run = queued.run
                        run.id = id
                        return run
                    }
                    let rows = zip(inserted, batch).map { run, queued -> SQLQueryString in
                        """
                        (\(bind: run.id), (SELECT id FROM flows WHERE name = \(bind: run.flowName) AND deleted = \(bind: false)),
                         \(bind: run.flowName), \(bind: run.flowVersion), \(bind: JSONColumn.text(queued.document)), \(bind: run.trigger.rawValue),
                         \(bind: run.triggeredBy), \(bind: JSONColumn.text(run.inputs)), \(bind: run.status.rawValue),
                         \(bind: StoreTime.milliseconds(run.createdAt)))
                        """
                    }
                    try await session.run(
                        """
                        INSERT INTO runs (id, flow_id, flow_name, flow_version, document, "trigger", triggered_by, inputs, status, created_at)
                        VALUES \(rows.joined(separator: ", "))
                        """)
                    let reused = zip(inserted, batch).flatMap { run, queued in queued.reusedSteps.map { (run.id, $0) } }
                    try await upsertSteps(session, rows: reused)
                    let entries = zip(inserted, batch).map { run, queued -> SQLQueryString in
                        "(\(bind: run.id), \(bind: queued.priority), \(bind: StoreTime.milliseconds(run.createdAt)), \(bind: 0))"
                    }
                    try await session.run(
                        "INSERT INTO run_queue (run_id, priority, enqueued_at, attempts) VALUES \(entries.joined(separator: ", "))")
                    return inserted
                }
            }
            return inserted.map { .success($0) }
        } catch {
            // No second attempt: a batch whose commit was sent but not acknowledged may be
            // written, and queueing its runs again would run them twice. Nothing in a request
            // can make the batch fail on its own (names and documents are checked first).
            return Array(repeating: .failure(error), count: batch.count)
        }
    }

    func writeRunEnds(_ batch: [RunEnd]) async -> [Result<Bool, StoreError>] {
        let operation =
            batch.count > 1
            ? "record the end of \(batch.count) runs"
            : batch[0].node.map { "record the end of run \(batch[0].runID) on node '\($0)'" } ?? "record the end of run \(batch[0].runID)"
        var rejected = false
        do {
            return try await StoreError.wrapping(operation) {
                do {
                    return try await writeRunEndsTogether(batch)
                } catch {
                    rejected = DatabaseErrorText.isRejectedStatement(error)
                    throw error
                }
            }
        } catch {
            // Writing an end twice is harmless, so a batch refused for one run's data (a text
            // the database cannot store) is written again run by run; a busy or unreachable
            // database fails the batch at once.
            guard rejected else { return Array(repeating: .failure(error), count: batch.count) }
            return await oneByOne(batch, error: error, writeRunEnds)
        }
    }

    private func writeRunEndsTogether(_ batch: [RunEnd]) async throws -> [Result<Bool, StoreError>] {
        try await database.withSession { session in
            // The queue entries first: every path takes an entry's lock before its run's.
            let unclaimed = batch.filter { $0.node == nil }.map(\.runID)
            if !unclaimed.isEmpty {
                try await session.run("DELETE FROM run_queue WHERE run_id IN (\(binds: unclaimed))")
            }
            var held: Set<Int64> = []
            let claimed = Dictionary(grouping: batch.filter { $0.node != nil }, by: { $0.node ?? "" })
            for (node, ends) in claimed.sorted(by: { $0.key < $1.key }) {
                // Deleting an entry tells whether the node still held it.
                for row in try await session.all(
                    """
                    DELETE FROM run_queue WHERE claimed_by = \(bind: node) AND run_id IN (\(binds: ends.map(\.runID)))
                    RETURNING run_id
                    """)
                {
                    held.insert(try row.int64("run_id"))
                }
            }
            let writing = batch.filter { $0.node == nil || held.contains($0.runID) }
            let updated = try await updateEndedRuns(session, writing)
            try await upsertSteps(session, rows: writing.filter { updated.contains($0.runID) }.flatMap { end in end.steps.map { (end.runID, $0) } })
            return batch.map { end -> Result<Bool, StoreError> in
                if end.node != nil, !held.contains(end.runID) { return .success(false) }
                return updated.contains(end.runID) ? .success(true) : .failure(.runNotFound(end.runID))
            }
        }
    }

    /// Writes the ends of runs in one statement; returns the ids of the runs that exist.
    private func updateEndedRuns(_ session: StoreSession, _ ends: [RunEnd]) async throws -> Set<Int64> {
        guard !ends.isEmpty else { return [] }
        // Typed values, so that PostgreSQL knows each column's type even when a column is all NULL.
        let values = ends.map { end -> SQLQueryString in
            let result = end.result
            return """
                (CAST(\(bind: end.runID) AS BIGINT), CAST(\(bind: result.status.rawValue) AS TEXT),
                 CAST(\(bind: StoreTime.milliseconds(result.startedAt)) AS BIGINT), CAST(\(bind: StoreTime.milliseconds(result.endedAt)) AS BIGINT),
                 CAST(\(bind: result.durationMs) AS BIGINT), CAST(\(bind: result.error) AS TEXT))
                """
        }
        let rows = try await session.all(
            """
            WITH ended (run_id, end_status, end_started_at, end_ended_at, end_duration_ms, end_error) AS (
                VALUES \(values.joined(separator: ", ")))
            UPDATE runs SET status = ended.end_status, started_at = ended.end_started_at, ended_at = ended.end_ended_at,
                duration_ms = ended.end_duration_ms, error = ended.end_error
            FROM ended WHERE runs.id = ended.run_id
            RETURNING id
            """)
        return Set(try rows.map { try $0.int64("id") })
    }

    /// `count` new run ids, taken inside the writing transaction: from the table's sequence on
    /// PostgreSQL; on SQLite, which holds the only write lock, after the highest id ever given.
    private func reserveRunIDs(_ session: StoreSession, count: Int) async throws -> [Int64] {
        switch session.dialect {
        case .postgres:
            return try await session.all(
                "SELECT nextval(pg_get_serial_sequence('runs', 'id')) AS id FROM generate_series(1, \(bind: count))"
            ).map { try $0.int64("id") }
        case .sqlite:
            let row = try await session.first(
                """
                SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'runs'), 0),
                           COALESCE((SELECT MAX(id) FROM runs), 0)) AS last
                """)
            let last = try row?.int64("last") ?? 0
            return (1...Int64(count)).map { last + $0 }
        }
    }

    /// After a batch was refused: the lone request's error, or each request written alone.
    func oneByOne<Request, Response>(
        _ batch: [Request], error: StoreError, _ write: ([Request]) async -> [Result<Response, StoreError>]
    ) async -> [Result<Response, StoreError>] {
        guard batch.count > 1 else { return [.failure(error)] }
        logger.warning("a batched write failed; writing its requests one by one", metadata: ["requests": "\(batch.count)", "error": "\(error)"])
        var outcomes: [Result<Response, StoreError>] = []
        for request in batch { outcomes += await write([request]) }
        return outcomes
    }
}
