import Foundation
import Testing
import WorkFlowEngine
@testable import WorkFlowStore

/// The run queue's contract. Times are injected (`now:`); no test sleeps.
extension StoreContract {
    static let lease = Duration.seconds(30)

    /// Enqueues a run of `flow`, `seconds` after the start of the test clock.
    static func enqueue(
        _ store: SQLStore, _ flow: String, at seconds: TimeInterval = 0, priority: Int = 0, inputs: JSONObject = [:]
    ) async throws -> StoredRun {
        try await store.enqueueRun(
            flowName: flow, flowVersion: 1, document: ["flow": .string(flow)], trigger: .api, triggeredBy: "alice",
            inputs: inputs, priority: priority, now: at(seconds))
    }

    /// Claims for `node`, `seconds` after the start of the test clock, and returns the run ids.
    static func claim(_ store: SQLStore, node: String = "node-1", limit: Int = 10, at seconds: TimeInterval = 0) async throws -> [Int64] {
        try await store.claimRuns(node: node, limit: limit, leaseDuration: lease, now: at(seconds)).map(\.runID)
    }

    /// A run result of `status` with no steps.
    static func result(_ runID: Int64, _ status: RunStatus) -> RunResult {
        RunResult(
            runID: runID, status: status, startedAt: t0, endedAt: at(1), durationMs: 1_000, steps: [], error: nil, context: [:])
    }

    /// Makes every insert into run_queue fail, to see what an enqueue leaves when its second write fails.
    static func refuseQueueEntries(_ store: SQLStore) async throws {
        try await store.database.withWriter { session in
            switch session.dialect {
            case .sqlite:
                try await session.run(
                    "CREATE TRIGGER refuse_entries BEFORE INSERT ON run_queue BEGIN SELECT RAISE(ABORT, 'refused by the test'); END")
            case .postgres:
                try await session.run(
                    """
                    CREATE FUNCTION refuse_entries() RETURNS trigger LANGUAGE plpgsql
                    AS $$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$
                    """)
                try await session.run(
                    "CREATE TRIGGER refuse_entries BEFORE INSERT ON run_queue FOR EACH ROW EXECUTE FUNCTION refuse_entries()")
            }
        }
    }

    @Test("enqueue writes a queued run and its queue entry together; a failed entry leaves no run", arguments: Backend.all)
    func runQueueEnqueue(backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            _ = try await store.createFlow(name: "etl", document: ["v": 1], author: nil)
            let run = try await Self.enqueue(store, "etl", at: 2, inputs: ["day": "2026-01-01"])
            #expect(
                run
                    == StoredRun(
                        id: run.id, flowName: "etl", flowVersion: 1, trigger: .api, triggeredBy: "alice",
                        inputs: ["day": "2026-01-01"], status: .queued, createdAt: Self.at(2), startedAt: nil, endedAt: nil,
                        durationMs: nil, error: nil, node: nil))
            #expect(try await store.run(id: run.id) == run)
            #expect(try await store.runDocument(id: run.id) == ["flow": "etl"])
            #expect(try await store.queueDepth() == QueueDepth(queued: 1, claimed: 0, queuedByFlow: ["etl": 1]))

            try await Self.refuseQueueEntries(store)
            do {
                _ = try await Self.enqueue(store, "etl", at: 3)
                Issue.record("the enqueue succeeded without its queue entry")
            } catch {
                guard case .database(let operation, let message) = error as? StoreError else {
                    Issue.record("unexpected error \(error)")
                    return
                }
                #expect(operation == "enqueue a run of workflow 'etl'")
                #expect(message.contains("refused by the test"))
            }
            #expect(try await store.listRuns().map(\.id) == [run.id])
        }
    }

    @Test("claims take waiting runs by priority, then oldest first, and hand over the snapshot under a lease", arguments: Backend.all)
    func runQueueClaimOrder(backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            let a = try await Self.enqueue(store, "etl", at: 0, inputs: ["n": 1])
            let b = try await Self.enqueue(store, "etl", at: 1)
            let urgent = try await Self.enqueue(store, "etl", at: 2, priority: 5)
            let d = try await Self.enqueue(store, "other", at: 3)
            #expect(try await Self.claim(store, limit: 0) == [])

            let first = try await store.claimRuns(node: "node-1", limit: 2, leaseDuration: Self.lease, now: Self.at(10))
            #expect(first.map(\.runID) == [urgent.id, a.id])
            #expect(
                first.last
                    == ClaimedRun(
                        runID: a.id, flowName: "etl", flowVersion: 1, document: ["flow": "etl"], inputs: ["n": 1], trigger: .api,
                        triggeredBy: "alice", attempt: 1, startedAt: Self.at(10), leaseExpiresAt: Self.at(40)))
            let running = try #require(try await store.run(id: a.id))
            #expect(running.status == .running)
            #expect(running.node == "node-1")
            #expect(running.startedAt == Self.at(10))

            #expect(try await Self.claim(store, node: "node-2", limit: 10, at: 11) == [b.id, d.id])
            #expect(try await Self.claim(store, node: "node-2", at: 12) == [])
            #expect(try await store.run(id: d.id)?.node == "node-2")
        }
    }

    @Test("queue depth counts waiting runs per workflow and the runs workers hold", arguments: Backend.all)
    func runQueueDepth(backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            #expect(try await store.queueDepth() == QueueDepth(queued: 0, claimed: 0, queuedByFlow: [:]))
            for flow in ["etl", "etl", "etl", "report"] {
                _ = try await Self.enqueue(store, flow)
            }
            _ = try await Self.claim(store, limit: 1)
            #expect(try await store.queueDepth() == QueueDepth(queued: 3, claimed: 1, queuedByFlow: ["etl": 2, "report": 1]))
        }
    }

    @Test("a workflow's run settings default to no limit and fail, and can be set without a new version", arguments: Backend.all)
    func runQueueFlowSettings(backend: Backend) async throws {
        try await withStore(backend) { store, database in
            let created = try await store.createFlow(name: "etl", document: ["v": 1], author: "alice")
            #expect(created.runSettings == .default)
            #expect(try await store.flow(named: "etl") == created)

            database.clock.advance(milliseconds: 1_000)
            let settings = FlowRunSettings(maxConcurrentRuns: 2, onInterrupt: .retry)
            let updated = try await store.setRunSettings(name: "etl", settings, author: "bob")
            #expect(updated.runSettings == settings)
            #expect(updated.currentVersion == 1)
            #expect(updated.updatedBy == "bob")
            #expect(try await store.flow(named: "etl") == updated)

            // Settings are not part of the document: new versions and renames keep them.
            _ = try await store.updateFlow(name: "etl", document: ["v": 2], author: nil)
            #expect(try await store.renameFlow(from: "etl", to: "pipeline", author: nil).runSettings == settings)
            #expect(try await store.flow(named: "pipeline")?.runSettings == settings)

            await #expect(throws: StoreError.invalidSetting("max_concurrent_runs must be at least 1 (or unset for no limit), got 0")) {
                try await store.setRunSettings(name: "pipeline", FlowRunSettings(maxConcurrentRuns: 0), author: nil)
            }
            await #expect(throws: StoreError.flowNotFound("etl")) {
                try await store.setRunSettings(name: "etl", .default, author: nil)
            }
            #expect(try await store.setRunSettings(name: "pipeline", .default, author: nil).runSettings == .default)
        }
    }

    @Test("a workflow at its max_concurrent_runs is skipped until one of its running runs ends", arguments: Backend.all)
    func runQueueMaxConcurrent(backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            for (name, limit) in [("serial", 1), ("pair", 2), ("free", nil)] {
                _ = try await store.createFlow(name: name, document: [:], author: nil)
                _ = try await store.setRunSettings(name: name, FlowRunSettings(maxConcurrentRuns: limit), author: nil)
            }
            var ids: [String: [Int64]] = [:]
            for (i, name) in ["serial", "pair", "serial", "pair", "free", "pair", "serial", "free"].enumerated() {
                ids[name, default: []].append(try await Self.enqueue(store, name, at: Double(i)).id)
            }
            let serial = ids["serial"] ?? [], pair = ids["pair"] ?? [], free = ids["free"] ?? []
            #expect(try await Self.claim(store, at: 10) == [serial[0], pair[0], pair[1], free[0], free[1]])
            #expect(try await Self.claim(store, at: 11) == [])

            try await store.finishRun(runID: serial[0], result: Self.result(serial[0], .success))
            #expect(try await Self.claim(store, at: 12) == [serial[1]])

            // A run started outside the queue (the CLI's `run`) counts too.
            try await store.finishRun(runID: pair[0], result: Self.result(pair[0], .failed))
            _ = try await store.createRun(
                flowName: "pair", flowVersion: 1, document: [:], trigger: .cli, triggeredBy: nil, inputs: [:], node: "cli")
            #expect(try await Self.claim(store, at: 13) == [])
        }
    }

    @Test("racing claimers never claim a run twice", arguments: Backend.all)
    func runQueueRacingClaimers(backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            let enqueued = try await withThrowingTaskGroup(of: [Int64].self) { group in
                for task in 0..<8 {
                    group.addTask {
                        var ids: [Int64] = []
                        for i in 0..<50 { ids.append(try await Self.enqueue(store, "flow-\(task % 3)", at: Double(i)).id) }
                        return ids
                    }
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            #expect(enqueued.count == 400)

            let claims = try await withThrowingTaskGroup(of: [(node: String, run: ClaimedRun)].self) { group in
                for worker in 0..<8 {
                    group.addTask {
                        let node = "node-\(worker)"
                        var mine: [(node: String, run: ClaimedRun)] = []
                        while true {
                            let batch = try await store.claimRuns(node: node, limit: 3, leaseDuration: Self.lease, now: Self.at(100))
                            if batch.isEmpty { return mine }
                            mine += batch.map { (node, $0) }
                        }
                    }
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            let claimed = claims.map(\.run.runID)
            #expect(claimed.count == 400)
            #expect(Set(claimed) == Set(enqueued))
            #expect(claims.allSatisfy { $0.run.attempt == 1 })
            #expect(try await store.queueDepth() == QueueDepth(queued: 0, claimed: 400, queuedByFlow: [:]))
            let nodes = Dictionary(uniqueKeysWithValues: try await store.listRuns(RunQuery(limit: 1_000)).map { ($0.id, $0.node) })
            #expect(claims.allSatisfy { nodes[$0.run.runID] == $0.node })
        }
    }

    @Test("racing claimers keep a workflow within its max_concurrent_runs", arguments: Backend.all)
    func runQueueRacingLimit(backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            _ = try await store.createFlow(name: "limited", document: [:], author: nil)
            _ = try await store.setRunSettings(name: "limited", FlowRunSettings(maxConcurrentRuns: 3), author: nil)
            for i in 0..<40 {
                _ = try await Self.enqueue(store, "limited", at: Double(i))
            }
            let claimed = try await withThrowingTaskGroup(of: [Int64].self) { group in
                for worker in 0..<8 {
                    group.addTask {
                        var mine: [Int64] = []
                        for attempt in 0..<3 {
                            mine += try await Self.claim(store, node: "node-\(worker)", limit: 2, at: 50 + Double(attempt))
                        }
                        return mine
                    }
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            #expect(claimed.count == 3)
            #expect(Set(claimed).count == 3)
            #expect(try await store.listRuns(RunQuery(flowName: "limited", status: .running)).count == 3)
        }
    }

    @Test("a heartbeat extends the leases its node holds and reports the runs it lost", arguments: Backend.all)
    func runQueueLeaseRenewal(backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            let a = try await Self.enqueue(store, "etl").id
            let b = try await Self.enqueue(store, "etl").id
            #expect(try await Self.claim(store, node: "node-1") == [a, b])

            #expect(try await store.renewLeases(node: "node-1", runIDs: [b, a], until: Self.at(60)) == LeaseRenewal(held: [a, b], lost: []))
            #expect(try await store.reapExpiredLeases(now: Self.at(45)) == ReapedRuns())
            #expect(try await store.renewLeases(node: "node-2", runIDs: [a], until: Self.at(90)) == LeaseRenewal(held: [], lost: [a]))
            #expect(try await store.renewLeases(node: "node-1", runIDs: [], until: Self.at(90)) == LeaseRenewal(held: [], lost: []))

            #expect(try await store.reapExpiredLeases(now: Self.at(60.001)) == ReapedRuns(failed: [a, b]))
            #expect(try await store.renewLeases(node: "node-1", runIDs: [a, b], until: Self.at(90)) == LeaseRenewal(held: [], lost: [a, b]))
        }
    }

    @Test("an expired lease fails the run under on_interrupt fail, closing its steps like an interrupted run", arguments: Backend.all)
    func runQueueReapFail(backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            _ = try await store.createFlow(name: "etl", document: [:], author: nil)
            let run = try await Self.enqueue(store, "etl").id
            let later = try await Self.enqueue(store, "etl").id
            #expect(try await Self.claim(store, limit: 1, at: 0) == [run])
            #expect(try await Self.claim(store, node: "node-2", limit: 1, at: 20) == [later])
            let done = StepRecord(
                name: "one", order: 0, module: "m.M", method: "x", status: .success, attempts: 1, startedAt: Self.at(1),
                endedAt: Self.at(2), durationMs: 1_000)
            let busy = StepRecord(name: "two", order: 1, module: "m.M", method: "x", status: .running, attempts: 1, startedAt: Self.at(2))
            let waiting = StepRecord(name: "three", order: 2, module: "m.M", method: "x")
            try await store.markRunStarted(runID: run, startedAt: Self.at(1), steps: [done, busy, waiting])

            // The lease runs until 30 s: at that instant it still holds.
            #expect(try await store.reapExpiredLeases(now: Self.at(30)) == ReapedRuns())
            #expect(try await store.reapExpiredLeases(now: Self.at(31)) == ReapedRuns(failed: [run]))

            let failed = try #require(try await store.run(id: run))
            #expect(failed.status == .failed)
            #expect(failed.error == InterruptedRun.error)
            #expect(failed.endedAt == Self.at(31))
            #expect(failed.durationMs == 30_000)
            var failedBusy = busy
            failedBusy.status = .failed
            failedBusy.error = InterruptedRun.error
            failedBusy.endedAt = Self.at(31)
            failedBusy.durationMs = 29_000
            var skipped = waiting
            skipped.status = .skipped
            skipped.error = InterruptedRun.skippedStepError
            #expect(try await store.steps(runID: run) == [done, failedBusy, skipped])
            #expect(try await store.run(id: later)?.status == .running)
            #expect(try await store.queueDepth() == QueueDepth(queued: 0, claimed: 1, queuedByFlow: [:]))
        }
    }

    @Test("an expired lease requeues the run under on_interrupt retry, in its old place, with its steps cleared", arguments: Backend.all)
    func runQueueReapRetry(backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            _ = try await store.createFlow(name: "etl", document: [:], author: nil)
            _ = try await store.setRunSettings(name: "etl", FlowRunSettings(onInterrupt: .retry), author: nil)
            let run = try await Self.enqueue(store, "etl", at: 0).id
            let next = try await Self.enqueue(store, "etl", at: 1).id
            #expect(try await Self.claim(store, limit: 1, at: 2) == [run])
            try await store.markRunStarted(
                runID: run, startedAt: Self.at(2), steps: [StepRecord(name: "one", order: 0, module: "m.M", method: "x")])

            #expect(try await store.reapExpiredLeases(now: Self.at(40)) == ReapedRuns(requeued: [run]))
            let requeued = try #require(try await store.run(id: run))
            #expect(requeued.status == .queued)
            #expect(requeued.node == nil)
            #expect(requeued.startedAt == nil)
            #expect(requeued.error == nil)
            #expect(try await store.steps(runID: run) == [])

            let again = try await store.claimRuns(node: "node-2", limit: 1, leaseDuration: Self.lease, now: Self.at(41))
            #expect(again.map(\.runID) == [run])
            #expect(again.first?.attempt == 2)
            #expect(try await Self.claim(store, limit: 1, at: 42) == [next])
        }
    }

    @Test("a retried run fails once its maximum attempts were all interrupted", arguments: Backend.all)
    func runQueueMaximumAttempts(backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            _ = try await store.createFlow(name: "etl", document: [:], author: nil)
            _ = try await store.setRunSettings(name: "etl", FlowRunSettings(onInterrupt: .retry), author: nil)
            let run = try await Self.enqueue(store, "etl").id
            for attempt in 1...RunQueueDefaults.maximumAttempts {
                let start = Double(attempt) * 100
                let claimed = try await store.claimRuns(node: "node-\(attempt)", limit: 1, leaseDuration: Self.lease, now: Self.at(start))
                #expect(claimed.map(\.attempt) == [attempt])
                let reaped = try await store.reapExpiredLeases(now: Self.at(start + 31))
                if attempt < RunQueueDefaults.maximumAttempts {
                    #expect(reaped == ReapedRuns(requeued: [run]))
                } else {
                    #expect(reaped == ReapedRuns(failed: [run]))
                }
            }
            let failed = try #require(try await store.run(id: run))
            #expect(failed.status == .failed)
            #expect(failed.error == "interrupted: the process stopped (attempt 3 of 3; no retries left)")
            #expect(try await Self.claim(store, at: 1_000) == [])

            // A smaller maximum is the reaper's choice.
            let once = try await Self.enqueue(store, "etl").id
            #expect(try await Self.claim(store, at: 2_000) == [once])
            #expect(try await store.reapExpiredLeases(now: Self.at(2_031), maximumAttempts: 1) == ReapedRuns(failed: [once]))
        }
    }

    @Test("cancelling a waiting run ends it at once; cancelling a running run asks its worker", arguments: Backend.all)
    func runQueueCancel(backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            let running = try await Self.enqueue(store, "etl").id
            let waiting = try await Self.enqueue(store, "etl").id
            #expect(try await Self.claim(store, limit: 1) == [running])

            #expect(try await store.cancelRun(id: waiting, reason: "cancelled by bob", now: Self.at(5)) == .cancelled)
            let cancelled = try #require(try await store.run(id: waiting))
            #expect(cancelled.status == .cancelled)
            #expect(cancelled.error == "cancelled by bob")
            #expect(cancelled.endedAt == Self.at(5))
            #expect(try await Self.claim(store, at: 6) == [])
            #expect(try await store.queueDepth() == QueueDepth(queued: 0, claimed: 1, queuedByFlow: [:]))

            #expect(try await store.cancelRequested(runIDs: [running, waiting]) == [])
            #expect(try await store.cancelRun(id: running, reason: nil, now: Self.at(7)) == .requested)
            #expect(try await store.cancelRun(id: running, reason: nil, now: Self.at(8)) == .requested)
            #expect(try await store.cancelRequested(runIDs: [running, waiting]) == [running])
            #expect(try await store.run(id: running)?.status == .running)

            #expect(try await store.cancelRun(id: waiting, reason: nil, now: Self.at(9)) == .alreadyEnded(.cancelled))
            await #expect(throws: StoreError.runNotFound(running + 100)) {
                try await store.cancelRun(id: running + 100, reason: nil, now: Self.at(9))
            }

            // Its worker died before it could stop the run: the reaper ends it as cancelled.
            #expect(try await store.reapExpiredLeases(now: Self.at(31)) == ReapedRuns(cancelled: [running]))
            let reaped = try #require(try await store.run(id: running))
            #expect(reaped.status == .cancelled)
            #expect(reaped.error == InterruptedRun.error)
        }
    }

    @Test("a run's end removes its queue entry; a node that lost the lease cannot record the end", arguments: Backend.all)
    func runQueueFinish(backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            let a = try await Self.enqueue(store, "etl").id
            let b = try await Self.enqueue(store, "etl").id
            #expect(try await Self.claim(store, node: "node-1") == [a, b])

            try await store.finishRun(runID: a, result: Self.result(a, .success))
            #expect(try await store.queueDepth() == QueueDepth(queued: 0, claimed: 1, queuedByFlow: [:]))
            #expect(try await store.renewLeases(node: "node-1", runIDs: [a, b], until: Self.at(60)) == LeaseRenewal(held: [b], lost: [a]))

            #expect(try await store.finishClaimedRun(runID: b, node: "node-2", result: Self.result(b, .failed), writingSteps: []) == false)
            #expect(try await store.run(id: b)?.status == .running)
            #expect(try await store.finishClaimedRun(runID: b, node: "node-1", result: Self.result(b, .success), writingSteps: Self.result(b, .success).steps))
            #expect(try await store.run(id: b)?.status == .success)
            #expect(try await store.queueDepth() == QueueDepth(queued: 0, claimed: 0, queuedByFlow: [:]))
            #expect(try await store.reapExpiredLeases(now: Self.at(1_000)) == ReapedRuns())
        }
    }

    @Test("closing a dead process's runs leaves the runs in the queue, waiting or held, to the queue", arguments: Backend.all)
    func runQueueCloseInterrupted(backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            let held = try await Self.enqueue(store, "etl").id
            let waiting = try await Self.enqueue(store, "etl").id
            #expect(try await Self.claim(store, node: "worker", limit: 1) == [held])
            let local = try await store.createRun(
                flowName: "etl", flowVersion: nil, document: [:], trigger: .cli, triggeredBy: nil, inputs: [:], node: "worker"
            ).id

            #expect(try await store.closeInterruptedRuns(node: "worker", now: Self.at(60)) == 1)
            #expect(try await store.run(id: local)?.status == .failed)
            #expect(try await store.closeInterruptedRuns(node: nil, now: Self.at(60)) == 0)
            #expect(try await store.run(id: held)?.status == .running)
            #expect(try await store.run(id: waiting)?.status == .queued)
            #expect(try await store.queueDepth() == QueueDepth(queued: 1, claimed: 1, queuedByFlow: ["etl": 1]))
        }
    }
}

/// Group commit: many runs queued and finished per transaction.
extension StoreContract {
    @Test("runs queued and finished at the same moment each get their own outcome", arguments: Backend.all)
    func groupCommitOutcomes(backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            let queued = try await withThrowingTaskGroup(of: StoredRun.self) { group in
                for i in 0..<40 { group.addTask { try await Self.enqueue(store, "flow-\(i % 4)") } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(Set(queued.map(\.id)).count == 40)
            #expect(try await store.queueDepth().queued == 40)
            for run in queued {
                #expect(try await store.run(id: run.id)?.status == .queued)
            }

            let claimed = try await Self.claim(store, limit: 40)
            #expect(claimed.count == 40)
            let step = StepRecord(name: "a", order: 0, module: "m", method: "x", status: .success, attempts: 1)
            let ended = try await withThrowingTaskGroup(of: (Int64, Bool).self) { group in
                for (i, id) in claimed.enumerated() {
                    group.addTask {
                        // Every fifth run's end comes from a node that does not hold it.
                        let node = i % 5 == 0 ? "node-2" : "node-1"
                        let written = try await store.finishClaimedRun(
                            runID: id, node: node, result: Self.result(id, .success), writingSteps: [step])
                        return (id, written)
                    }
                }
                return try await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
            }
            for (i, id) in claimed.enumerated() {
                #expect(ended[id] == (i % 5 != 0))
                #expect(try await store.run(id: id)?.status == (i % 5 == 0 ? .running : .success))
                #expect(try await store.steps(runID: id).count == (i % 5 == 0 ? 0 : 1))
            }
            #expect(try await store.queueDepth().claimed == 8)
        }
    }

    @Test("a batch of run ends with a lost lease and an unknown run writes the rest", arguments: Backend.all)
    func groupCommitMixedBatch(backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            let a = try await Self.enqueue(store, "a").id
            let b = try await Self.enqueue(store, "b").id
            let c = try await Self.enqueue(store, "c").id
            _ = try await Self.claim(store, limit: 2)
            let outcomes = await store.writeRunEnds([
                RunEnd(runID: a, node: "node-1", result: Self.result(a, .success), steps: []),
                RunEnd(runID: b, node: "node-9", result: Self.result(b, .success), steps: []),
                RunEnd(runID: 999_999, node: nil, result: Self.result(999_999, .success), steps: []),
                RunEnd(runID: c, node: nil, result: Self.result(c, .failed), steps: []),
            ])
            #expect(try outcomes[0].get() == true)
            #expect(try outcomes[1].get() == false)
            #expect(throws: StoreError.runNotFound(999_999)) { try outcomes[2].get() }
            #expect(try outcomes[3].get() == true)
            #expect(try await store.run(id: a)?.status == .success)
            #expect(try await store.run(id: b)?.status == .running)
            #expect(try await store.run(id: c)?.status == .failed)
            #expect(try await store.queueDepth() == QueueDepth(queued: 0, claimed: 1, queuedByFlow: [:]))
        }
    }
}

extension StoreContract {
    @Test("progress of a claimed run is written only while its node holds the lease", arguments: Backend.all)
    func progressNeedsTheLease(backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            let id = try await Self.enqueue(store, "a").id
            #expect(try await Self.claim(store, node: "node-1") == [id])
            let step = StepRecord(name: "a", order: 0, module: "m", method: "x", status: .running, attempts: 1)
            #expect(try await store.recordProgress(runID: id, startedAt: nil, steps: [step], claimedBy: "node-2") == false)
            #expect(try await store.steps(runID: id).isEmpty)
            #expect(try await store.recordProgress(runID: id, startedAt: nil, steps: [step], claimedBy: "node-1") == true)
            #expect(try await store.steps(runID: id).map(\.status) == [.running])

            // Reaped while node-1 stalled: its late progress is not written over the requeued run.
            _ = try await store.reapExpiredLeases(now: Self.at(3600))
            var late = step
            late.status = .success
            #expect(try await store.recordProgress(runID: id, startedAt: nil, steps: [late], claimedBy: "node-1") == false)
            #expect(try await store.run(id: id)?.status == .failed)
            #expect(try await store.steps(runID: id).map(\.status) != [.success])
        }
    }
}
