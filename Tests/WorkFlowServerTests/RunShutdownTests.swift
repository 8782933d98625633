import Foundation
import Testing
import WorkFlowEngine
import WorkFlowModules

@testable import WorkFlowServer
@testable import WorkFlowStore

@Suite("draining runs at shutdown")
struct RunShutdownTests {
    @Test("during the grace period the heartbeat still renews the leases of the runs that finish")
    func heartbeatDuringGrace() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("wf-shutdown-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try await Store.open(url: "sqlite://" + directory.appendingPathComponent("workflow.db").path, logger: ServerHarness.quiet)
        let gate = GateModule.make()
        var registry = BuiltinModules.registry()
        registry.register(gate.module)
        let clock = ManualClock(start: Date(timeIntervalSince1970: 1_790_000_000))
        let runs = RunService(
            store: store, modules: ModuleLibrary(store: store, builtins: registry, folder: directory.appendingPathComponent("modules"), logger: ServerHarness.quiet),
            hub: RunEventHub(), metrics: ServerMetrics(), clock: clock, logger: ServerHarness.quiet,
            node: "test:1",
            tuning: RunService.Tuning(
                workers: 1, leaseDuration: .seconds(30), heartbeatInterval: .seconds(10), pollInterval: .seconds(3600),
                reapInterval: .seconds(3600), stepWriteDelay: nil, timers: clock))
        _ = try await store.createFlow(
            name: "gated", document: ["procedures": [["name": "hold", "mod": "test.Gate", "method": "wait"]]], author: nil, comment: nil)
        let workers = Task { await runs.runWorkers() }
        let run = try await runs.start(flowName: "gated", inputs: [:], trigger: .api, triggeredBy: nil)
        for await _ in gate.arrivals { break }

        func leaseEnd() async throws -> Int64? {
            try await store.database.withConnection { session in
                try await session.first("SELECT lease_expires_at FROM run_queue WHERE run_id = \(bind: run.id)")?.int64("lease_expires_at")
            }
        }
        let claimedUntil = try #require(try await leaseEnd())

        let draining = Task { await runs.shutdown(grace: .seconds(60)) }
        // The claim loop has stopped; the heartbeat and the reaper sleep, with the grace timer.
        await clock.waitForSleepers(3)
        clock.advance(by: .seconds(10))
        await clock.waitForSleepers(3)
        let renewedUntil = try #require(try await leaseEnd())
        #expect(renewedUntil == claimedUntil + 10_000)

        gate.open.yield()
        await draining.value
        workers.cancel()
        await workers.value
        #expect(try await store.run(id: run.id)?.status == .success)
        await store.close()
    }
}
