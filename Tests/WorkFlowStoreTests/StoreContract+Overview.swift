import Foundation
import Testing
import WorkFlowEngine
@testable import WorkFlowStore

extension StoreContract {
    /// Creates a run at the test clock's time and ends it with `status` after `durationMs`.
    private func endedRun(_ store: SQLStore, flow: String, status: RunStatus, durationMs: Int) async throws -> StoredRun {
        let run = try await store.createRun(
            flowName: flow, flowVersion: 1, document: [:], trigger: .api, triggeredBy: nil, inputs: [:], node: nil)
        let start = run.createdAt
        try await store.finishRun(
            runID: run.id,
            result: RunResult(
                runID: run.id, status: status, startedAt: start, endedAt: start.addingTimeInterval(Double(durationMs) / 1000),
                durationMs: durationMs, steps: [], error: status == .success ? nil : "x", context: [:]))
        return run
    }

    @Test("overviews: workflows counted, last runs per workflow, runs per day in a time zone, recent durations", arguments: Backend.all)
    func overviews(backend: Backend) async throws {
        try await withStore(backend) { store, database in
            let etl = try await store.createFlow(name: "etl", document: [:], author: nil)
            let report = try await store.createFlow(name: "report", document: [:], author: nil)
            let idle = try await store.createFlow(name: "idle", document: [:], author: nil)
            _ = try await store.setEnabled(name: "idle", enabled: false, author: nil)
            #expect(try await store.countFlows(FlowQuery()) == 3)
            #expect(try await store.countFlows(FlowQuery(enabled: true)) == 2)
            #expect(try await store.countFlows(FlowQuery(text: "RE")) == 1)
            database.clock.advance(milliseconds: 1)
            _ = try await store.updateFlow(name: "etl", document: ["v": 2], author: nil)
            #expect(try await store.recentlyUpdatedFlows(limit: 2).map(\.name) == ["etl", "idle"])

            // 2026-01-01T00:00:00.123Z: two runs on the first day, one 30 hours later.
            _ = try await endedRun(store, flow: "etl", status: .success, durationMs: 100)
            _ = try await endedRun(store, flow: "etl", status: .failed, durationMs: 300)
            database.clock.advance(milliseconds: 30 * 3_600_000)
            let latest = try await endedRun(store, flow: "report", status: .success, durationMs: 200)
            let last = try await store.lastRuns(flowIDs: [etl.id, report.id, idle.id])
            #expect(last[report.id] == LastRun(runID: latest.id, status: .success, createdAt: latest.createdAt))
            #expect(last[etl.id]?.status == .failed)
            #expect(last[idle.id] == nil)

            let now = TestClock.start.addingTimeInterval(30 * 3600 + 1)
            let utc = try await store.runDayCounts(days: 3, now: now, timeZone: .gmt)
            #expect(utc.days == [[:], [.success: 1, .failed: 1], [.success: 1]])
            #expect(utc.firstDay == Date(timeIntervalSince1970: 1_767_225_600 - 86_400))
            // Five hours behind UTC the first two runs fall on 31 December.
            let newYork = try await store.runDayCounts(days: 3, now: now, timeZone: TimeZone(identifier: "America/New_York")!)
            #expect(newYork.days == [[.success: 1, .failed: 1], [:], [.success: 1]])
            #expect(newYork.boundaries.count == 4)
            #expect(try await store.run(latest.id, belongsTo: "report"))
            #expect(!(try await store.run(latest.id, belongsTo: "etl")))

            let durations = try await store.recentRunDurations(from: TestClock.start.addingTimeInterval(-1), to: now, limit: 2)
            #expect(durations.sorted() == [200, 300], "the newest two")
        }
    }

    @Test("days around a change of clock have their true length", arguments: Backend.all)
    func daysAcrossClockChange(backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            // Europe/Berlin moved from UTC+1 to UTC+2 at 01:00 UTC on 29 March 2026.
            let berlin = TimeZone(identifier: "Europe/Berlin")!
            let counts = try await store.runDayCounts(days: 3, now: Date(timeIntervalSince1970: 1_774_864_800), timeZone: berlin)  // 30 March 10:00 UTC
            let lengths = zip(counts.boundaries, counts.boundaries.dropFirst()).map { $1.timeIntervalSince($0) / 3600 }
            #expect(lengths == [24, 23, 24])
            #expect(counts.boundaries.last == Date(timeIntervalSince1970: 1_774_908_000))  // 31 March 00:00 CEST = 30 March 22:00 UTC
        }
    }

    @Test("a user's profile: name and e-mail set, cleared and checked", arguments: Backend.all)
    func userProfile(backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            _ = try await store.createUser(username: "ada", passwordHash: "$2b$04$x", isAdmin: false)
            let set = try await store.setProfile(username: "ada", displayName: "Ada Lovelace", email: "ada@example.com")
            #expect(set.displayName == "Ada Lovelace" && set.email == "ada@example.com")
            #expect(try await store.user(named: "ada") == set)
            let cleared = try await store.setProfile(username: "ada", displayName: nil, email: nil)
            #expect(cleared.displayName == nil && cleared.email == nil)
            await #expect(throws: StoreError.invalidProfile(field: "e-mail address", problem: "'ada@' is not an address like name@example.com")) {
                _ = try await store.setProfile(username: "ada", displayName: nil, email: "ada@")
            }
            await #expect(throws: StoreError.self) { _ = try await store.setProfile(username: "ada", displayName: String(repeating: "x", count: 101), email: nil) }
            await #expect(throws: StoreError.userNotFound("bob")) { _ = try await store.setProfile(username: "bob", displayName: "B", email: nil) }
        }
    }
}
