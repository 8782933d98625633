import Foundation
import SQLKit
import WorkFlowEngine

/// The run queue on SQL.
///
/// Claiming is safe under any number of concurrent claimers: on PostgreSQL each claim locks the
/// entries it reads with `FOR UPDATE SKIP LOCKED`, so racing claimers take disjoint entries; on
/// SQLite every transaction begins `IMMEDIATE` on the one writer connection, so claims run one
/// after another (across processes too). Every path that touches a queued run locks its queue
/// entry before its `runs` row, so these transactions cannot deadlock one another.
extension SQLStore: RunQueue {
    /// Run ids per statement, well under SQLite's limit on bound values.
    private static let idsPerStatement = 500

    /// Writes a `queued` run and its queue entry in one transaction.
    public func enqueueRun(
        flowName: String, flowVersion: Int?, document: JSONObject, trigger: RunTrigger, triggeredBy: String?,
        inputs: JSONObject, priority: Int = 0, now: Date
    ) async throws(StoreError) -> StoredRun {
        try await enqueueRun(
            flowName: flowName, flowVersion: flowVersion, document: document, trigger: trigger, triggeredBy: triggeredBy,
            inputs: inputs, priority: priority, reusedSteps: [], now: now)
    }

    private func enqueueRun(
        flowName: String, flowVersion: Int?, document: JSONObject, trigger: RunTrigger, triggeredBy: String?,
        inputs: JSONObject, priority: Int, reusedSteps: [StepRecord], now: Date
    ) async throws(StoreError) -> StoredRun {
        let run = StoredRun(
            id: 0, flowName: flowName, flowVersion: flowVersion, trigger: trigger, triggeredBy: triggeredBy, inputs: inputs,
            status: .queued, createdAt: StoreTime.date(StoreTime.milliseconds(now)), startedAt: nil, endedAt: nil,
            durationMs: nil, error: nil, node: nil)
        return try await enqueue(QueuedRun(run: run, document: document, priority: priority, reusedSteps: reusedSteps))
    }

    /// Queues a run that resumes an earlier one: `reusedSteps` (the earlier run's successful
    /// steps) are written with the new run in the same transaction, and the worker that claims
    /// it takes them as done instead of running them again.
    public func enqueueRun(
        flowName: String, flowVersion: Int?, document: JSONObject, trigger: RunTrigger, triggeredBy: String?,
        inputs: JSONObject, reusing reusedSteps: [StepRecord], now: Date
    ) async throws(StoreError) -> StoredRun {
        try await enqueueRun(
            flowName: flowName, flowVersion: flowVersion, document: document, trigger: trigger, triggeredBy: triggeredBy,
            inputs: inputs, priority: 0, reusedSteps: reusedSteps, now: now)
    }

    /// Claims up to `limit` waiting runs for `node`; see ``RunQueue/claimRuns(node:limit:leaseDuration:now:)``.
    public func claimRuns(node: String, limit: Int, leaseDuration: Duration, now: Date) async throws(StoreError) -> [ClaimedRun] {
        guard limit > 0 else { return [] }
        let nowMs = StoreTime.milliseconds(now)
        let leaseUntil = nowMs + leaseDuration.storeMilliseconds
        let claimed = try await StoreError.wrapping("claim runs for node '\(node)'") {
            try await database.withSession { session in
                let candidates = try await waitingCandidates(session, limit: limit)
                let chosen = try await withinFlowLimits(session, candidates: candidates, limit: limit)
                return try await markClaimed(session, runIDs: chosen, node: node, now: nowMs, leaseUntil: leaseUntil)
            }
        }
        if !claimed.isEmpty {
            logger.debug("claimed runs", metadata: ["node": "\(node)", "runs": "\(claimed.map(\.runID))"])
        }
        return claimed
    }

    /// Extends the leases `node` still holds on `runIDs`; the others are reported lost.
    public func renewLeases(node: String, runIDs: [Int64], until: Date) async throws(StoreError) -> LeaseRenewal {
        let requested = Set(runIDs)
        let untilMs = StoreTime.milliseconds(until)
        let held: Set<Int64> = try await StoreError.wrapping("renew the leases of node '\(node)'") {
            var held: Set<Int64> = []
            for chunk in Self.chunks(of: requested.sorted()) {
                let rows = try await database.withWriter { session in
                    try await session.all(
                        """
                        UPDATE run_queue SET lease_expires_at = \(bind: untilMs)
                        WHERE claimed_by = \(bind: node) AND run_id IN (\(binds: chunk))
                        RETURNING run_id
                        """)
                }
                for row in rows { held.insert(try row.int64("run_id")) }
            }
            return held
        }
        let lost = requested.subtracting(held).sorted()
        if !lost.isEmpty {
            logger.warning("a node lost the lease on runs", metadata: ["node": "\(node)", "runs": "\(lost)"])
        }
        return LeaseRenewal(held: held.sorted(), lost: lost)
    }

    /// Records a claimed run's end (with the step rows in `steps`) and removes its queue entry,
    /// if `node` still holds it; in one transaction shared with other runs ending at the same
    /// moment (see ``GroupCommit``).
    public func finishClaimedRun(
        runID: Int64, node: String, result: RunResult, writingSteps steps: [StepRecord]
    ) async throws(StoreError) -> Bool {
        try await finish(RunEnd(runID: runID, node: node, result: result, steps: steps))
    }

    /// Cancels a waiting run (ending `now`, with `reason` as its error), or records a cancel
    /// request for a running one; throws ``StoreError/runNotFound(_:)`` for an unknown id.
    public func cancelRun(id: Int64, reason: String? = nil, now: Date) async throws(StoreError) -> RunCancellation {
        let nowMs = StoreTime.milliseconds(now)
        return try await StoreError.wrapping("cancel run \(id)") {
            try await database.withSession { session in
                // The entry's lock first: a claim in progress finishes before we read the status.
                _ = try await session.first("SELECT run_id FROM run_queue WHERE run_id = \(bind: id)\(lock(session, .row))")
                guard let row = try await session.first("SELECT status FROM runs WHERE id = \(bind: id)\(lock(session, .row))") else {
                    throw StoreError.runNotFound(id)
                }
                let status = try row.enumValue("status", table: "runs", as: RunStatus.self)
                switch status {
                case .queued:
                    try await session.run("DELETE FROM run_queue WHERE run_id = \(bind: id)")
                    try await session.run(
                        """
                        UPDATE runs SET status = \(bind: RunStatus.cancelled.rawValue),
                            error = \(bind: reason ?? "the run was cancelled before it started"), ended_at = \(bind: nowMs)
                        WHERE id = \(bind: id)
                        """)
                    return .cancelled
                case .running:
                    try await session.run(
                        """
                        UPDATE runs SET cancel_requested_at = COALESCE(cancel_requested_at, \(bind: nowMs))
                        WHERE id = \(bind: id)
                        """)
                    return .requested
                case .success, .failed, .cancelled:
                    return .alreadyEnded(status)
                }
            }
        }
    }

    /// Which of `runIDs` have a cancel request pending.
    public func cancelRequested(runIDs: [Int64]) async throws(StoreError) -> Set<Int64> {
        try await StoreError.wrapping("read the cancel requests of runs") {
            var requested: Set<Int64> = []
            for chunk in Self.chunks(of: Set(runIDs).sorted()) {
                let rows = try await database.withConnection { session in
                    try await session.all(
                        "SELECT id FROM runs WHERE id IN (\(binds: chunk)) AND cancel_requested_at IS NOT NULL")
                }
                for row in rows { requested.insert(try row.int64("id")) }
            }
            return requested
        }
    }

    /// Fails, requeues or cancels every run whose lease expired before `now`, in batches of one
    /// transaction each.
    public func reapExpiredLeases(
        now: Date, maximumAttempts: Int = RunQueueDefaults.maximumAttempts
    ) async throws(StoreError) -> ReapedRuns {
        let nowMs = StoreTime.milliseconds(now)
        var reaped = ReapedRuns()
        while true {
            let batch = try await StoreError.wrapping("reap expired run leases") {
                try await database.withSession { session in
                    try await reapBatch(session, now: nowMs, maximumAttempts: maximumAttempts)
                }
            }
            reaped.failed += batch.reaped.failed
            reaped.requeued += batch.reaped.requeued
            reaped.cancelled += batch.reaped.cancelled
            if batch.expired < Self.idsPerStatement { break }
        }
        reaped.failed.sort()
        reaped.requeued.sort()
        reaped.cancelled.sort()
        if reaped.count > 0 {
            logger.warning(
                "reaped runs whose lease expired",
                metadata: ["failed": "\(reaped.failed)", "requeued": "\(reaped.requeued)", "cancelled": "\(reaped.cancelled)"])
        }
        return reaped
    }

    /// Ends the leases `node` holds as of `now`: for a node known to be gone (a process that no
    /// longer exists), so that the next ``reapExpiredLeases(now:maximumAttempts:)`` handles its
    /// runs at once instead of after the lease runs out. Returns how many leases ended.
    public func expireLeases(node: String, now: Date) async throws(StoreError) -> Int {
        let past = StoreTime.milliseconds(now) - 1
        return try await StoreError.wrapping("end the leases of node \(node)") {
            try await database.withWriter { session in
                try await session.all(
                    """
                    UPDATE run_queue SET lease_expires_at = \(bind: past)
                    WHERE claimed_by = \(bind: node) AND lease_expires_at > \(bind: past) RETURNING run_id
                    """
                ).count
            }
        }
    }

    /// How many runs wait and are held.
    public func queueDepth() async throws(StoreError) -> QueueDepth {
        try await StoreError.wrapping("read the queue depth") {
            try await database.withConnection { session in
                let claimed = try await session.first(
                    "SELECT COUNT(*) AS claimed FROM run_queue WHERE claimed_by IS NOT NULL")?.int("claimed") ?? 0
                var byFlow: [String: Int] = [:]
                for row in try await session.all(
                    """
                    SELECT r.flow_name, COUNT(*) AS waiting FROM run_queue q JOIN runs r ON r.id = q.run_id
                    WHERE q.claimed_by IS NULL GROUP BY r.flow_name
                    """)
                {
                    byFlow[try row.string("flow_name")] = try row.int("waiting")
                }
                return QueueDepth(queued: byFlow.values.reduce(0, +), claimed: claimed, queuedByFlow: byFlow)
            }
        }
    }

    // MARK: - Claiming

    /// A waiting run that may be claimed, with what its workflow's concurrency limit needs.
    private struct ClaimCandidate {
        let runID: Int64
        let flowID: Int64?
        let maxConcurrentRuns: Int?
    }

    /// Up to `limit` waiting entries in claim order, locked (PostgreSQL skips those another claimer
    /// holds), leaving out workflows that are already at their limit.
    private func waitingCandidates(_ session: StoreSession, limit: Int) async throws -> [ClaimCandidate] {
        try await session.all(
            """
            SELECT q.run_id, r.flow_id, f.max_concurrent_runs
            FROM run_queue q JOIN runs r ON r.id = q.run_id LEFT JOIN flows f ON f.id = r.flow_id
            WHERE q.claimed_by IS NULL
                AND (f.max_concurrent_runs IS NULL OR f.max_concurrent_runs > (
                    SELECT COUNT(*) FROM runs busy
                    WHERE busy.flow_id = r.flow_id AND busy.status = \(bind: RunStatus.running.rawValue)))
            ORDER BY q.priority DESC, q.enqueued_at, q.run_id
            LIMIT \(bind: limit)\(lock(session, .queueEntries))
            """
        ).map { row in
            ClaimCandidate(
                runID: try row.int64("run_id"), flowID: try row.optionalInt64("flow_id"),
                maxConcurrentRuns: try row.optionalInt("max_concurrent_runs"))
        }
    }

    /// The candidates to claim, in order, so that no workflow goes over its limit.
    ///
    /// Two PostgreSQL claimers could each count the same running runs and together exceed a
    /// limit, so a claimer first locks the limited workflows' rows (skipping those another claimer
    /// holds, whose runs wait for the next claim) and counts their running runs afterwards.
    private func withinFlowLimits(_ session: StoreSession, candidates: [ClaimCandidate], limit: Int) async throws -> [Int64] {
        var limits: [Int64: Int] = [:]
        for candidate in candidates {
            if let flowID = candidate.flowID, let maximum = candidate.maxConcurrentRuns { limits[flowID] = maximum }
        }
        var room: [Int64: Int] = [:]
        if !limits.isEmpty {
            let locked = try await session.all(
                "SELECT id FROM flows WHERE id IN (\(binds: limits.keys.sorted()))\(lock(session, .flows))"
            ).map { try $0.int64("id") }
            if !locked.isEmpty {
                let busy = try await session.all(
                    """
                    SELECT flow_id, COUNT(*) AS busy FROM runs
                    WHERE flow_id IN (\(binds: locked)) AND status = \(bind: RunStatus.running.rawValue)
                    GROUP BY flow_id
                    """)
                var running: [Int64: Int] = [:]
                for row in busy { running[try row.int64("flow_id")] = try row.int("busy") }
                for flowID in locked { room[flowID] = (limits[flowID] ?? 0) - (running[flowID] ?? 0) }
            }
        }
        var chosen: [Int64] = []
        for candidate in candidates where chosen.count < limit {
            if let flowID = candidate.flowID, candidate.maxConcurrentRuns != nil {
                guard let left = room[flowID], left > 0 else { continue }
                room[flowID] = left - 1
            }
            chosen.append(candidate.runID)
        }
        return chosen
    }

    /// Gives the entries to `node` under a lease and marks their runs running; returns them in `runIDs` order.
    private func markClaimed(
        _ session: StoreSession, runIDs: [Int64], node: String, now nowMs: Int64, leaseUntil: Int64
    ) async throws -> [ClaimedRun] {
        guard !runIDs.isEmpty else { return [] }
        var attempts: [Int64: Int] = [:]
        for row in try await session.all(
            """
            UPDATE run_queue SET claimed_by = \(bind: node), claimed_at = \(bind: nowMs), lease_expires_at = \(bind: leaseUntil),
                attempts = attempts + 1
            WHERE run_id IN (\(binds: runIDs))
            RETURNING run_id, attempts
            """)
        {
            attempts[try row.int64("run_id")] = try row.int("attempts")
        }
        var claimed: [Int64: ClaimedRun] = [:]
        for row in try await session.all(
            """
            UPDATE runs SET status = \(bind: RunStatus.running.rawValue), node = \(bind: node), started_at = \(bind: nowMs)
            WHERE id IN (\(binds: runIDs))
            RETURNING id, flow_name, flow_version, document, "trigger", triggered_by, inputs
            """)
        {
            let runID = try row.int64("id")
            claimed[runID] = ClaimedRun(
                runID: runID, flowName: try row.string("flow_name"), flowVersion: try row.optionalInt("flow_version"),
                document: try JSONColumn.object(try row.string("document"), table: "runs", column: "document"),
                inputs: try JSONColumn.object(try row.string("inputs"), table: "runs", column: "inputs"),
                trigger: try row.enumValue("trigger", table: "runs", as: RunTrigger.self),
                triggeredBy: try row.optionalString("triggered_by"), attempt: attempts[runID] ?? 1,
                startedAt: StoreTime.date(nowMs), leaseExpiresAt: StoreTime.date(leaseUntil))
        }
        // Resumed runs were queued with the steps they take as done; one read for the batch.
        for row in try await session.all(
            """
            SELECT \(unsafeRaw: Self.stepColumns) FROM run_steps
            WHERE run_id IN (\(binds: runIDs)) AND status = \(bind: StepStatus.success.rawValue)
            ORDER BY run_id, step_order
            """)
        {
            let step = try StepRecord(row: row)
            claimed[try row.int64("run_id")]?.reusedSteps.append(step)
        }
        return runIDs.compactMap { claimed[$0] }
    }

    // MARK: - Reaping

    /// A held entry whose lease expired, with what decides its fate.
    private struct ExpiredLease {
        let runID: Int64
        let attempts: Int
        let cancelRequested: Bool
        let policy: InterruptPolicy
    }

    /// Reaps up to ``idsPerStatement`` expired leases; returns what it did and how many it found.
    private func reapBatch(
        _ session: StoreSession, now nowMs: Int64, maximumAttempts: Int
    ) async throws -> (reaped: ReapedRuns, expired: Int) {
        let expired = try await session.all(
            """
            SELECT q.run_id, q.attempts, r.cancel_requested_at, f.on_interrupt
            FROM run_queue q JOIN runs r ON r.id = q.run_id LEFT JOIN flows f ON f.id = r.flow_id
            WHERE q.claimed_by IS NOT NULL AND q.lease_expires_at < \(bind: nowMs)
            ORDER BY q.run_id
            LIMIT \(bind: Self.idsPerStatement)\(lock(session, .queueEntries))
            """
        ).map { row in
            ExpiredLease(
                runID: try row.int64("run_id"), attempts: try row.int("attempts"),
                cancelRequested: try row.optionalInt64("cancel_requested_at") != nil,
                // A run of a workflow that no longer exists fails, the safe default.
                policy: try row.optionalString("on_interrupt").flatMap(InterruptPolicy.init(rawValue:)) ?? .fail)
        }
        var reaped = ReapedRuns()
        var exhausted: [Int: [Int64]] = [:]
        for lease in expired {
            if lease.cancelRequested {
                reaped.cancelled.append(lease.runID)
            } else if lease.policy == .fail {
                reaped.failed.append(lease.runID)
            } else if lease.attempts < maximumAttempts {
                reaped.requeued.append(lease.runID)
            } else {
                exhausted[lease.attempts, default: []].append(lease.runID)
            }
        }
        try await close(session, reaped.cancelled, status: .cancelled, error: InterruptedRun.error, now: nowMs)
        try await close(session, reaped.failed, status: .failed, error: InterruptedRun.error, now: nowMs)
        for (attempts, runIDs) in exhausted {
            try await close(
                session, runIDs, status: .failed, error: InterruptedRun.attemptsExhaustedError(attempts: attempts), now: nowMs)
            reaped.failed += runIDs
        }
        try await requeue(session, reaped.requeued)
        return (reaped, expired.count)
    }

    /// Removes the entries and closes their runs as stopped.
    private func close(_ session: StoreSession, _ runIDs: [Int64], status: RunStatus, error: String, now nowMs: Int64) async throws {
        guard !runIDs.isEmpty else { return }
        try await session.run("DELETE FROM run_queue WHERE run_id IN (\(binds: runIDs))")
        _ = try await closeStoppedRuns(session, runIDs: "\(binds: runIDs)", status: status, error: error, now: nowMs)
    }

    /// Puts the runs back in the queue, in their old place, to start again from their first step.
    private func requeue(_ session: StoreSession, _ runIDs: [Int64]) async throws {
        guard !runIDs.isEmpty else { return }
        try await session.run(
            """
            UPDATE run_queue SET claimed_by = NULL, claimed_at = NULL, lease_expires_at = NULL
            WHERE run_id IN (\(binds: runIDs))
            """)
        try await session.run("DELETE FROM run_steps WHERE run_id IN (\(binds: runIDs))")
        try await session.run(
            """
            UPDATE runs SET status = \(bind: RunStatus.queued.rawValue), node = NULL, started_at = NULL, ended_at = NULL,
                duration_ms = NULL, error = NULL
            WHERE id IN (\(binds: runIDs))
            """)
    }

    // MARK: - Helpers

    /// What a locking read locks.
    private enum LockTarget {
        /// One queue entry or run row, waiting for another transaction that holds it.
        case row
        /// The queue entries a claim or the reaper reads, skipping those another transaction holds.
        case queueEntries
        /// Workflow rows, exclusive among claimers but not against new runs referencing them
        /// (`NO KEY UPDATE`), skipping those another claimer holds.
        case flows
    }

    /// The locking clause for PostgreSQL; nothing on SQLite, where `BEGIN IMMEDIATE` already
    /// serialises every writing transaction.
    private func lock(_ session: StoreSession, _ target: LockTarget) -> SQLQueryString {
        guard session.dialect == .postgres else { return "" }
        switch target {
        case .row: return " FOR UPDATE"
        case .queueEntries: return " FOR UPDATE OF q SKIP LOCKED"
        case .flows: return " FOR NO KEY UPDATE SKIP LOCKED"
        }
    }

    /// `ids` in slices small enough for one statement.
    static func chunks(of ids: [Int64]) -> [[Int64]] {
        stride(from: 0, to: ids.count, by: idsPerStatement).map { Array(ids[$0..<min(ids.count, $0 + idsPerStatement)]) }
    }
}

extension Duration {
    /// Whole milliseconds, as the store keeps times.
    fileprivate var storeMilliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
