import Foundation
import Logging
import Testing
import WorkFlowEngine
@testable import WorkFlowStore

extension StoreContract {
    @Test("settings store JSON values by key and overwrite them", arguments: Backend.all)
    func settings(backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            #expect(try await store.setting("timezone") == nil)
            #expect(try await store.settings() == [:])
            try await store.setSetting("timezone", to: "Asia/Shanghai")
            try await store.setSetting("log.retention_days", to: 30)
            try await store.setSetting("password_policy", to: ["min_length": 12, "require": ["digit", "upper"], "expiry": nil])
            try await store.setSetting("timezone", to: "UTC")
            #expect(try await store.setting("timezone") == "UTC")
            #expect(
                try await store.settings() == [
                    "timezone": "UTC", "log.retention_days": 30,
                    "password_policy": ["min_length": 12, "require": ["digit", "upper"], "expiry": nil],
                ])
            #expect(try await store.removeSetting("timezone"))
            #expect(try await store.removeSetting("timezone") == false)
            #expect(try await store.setting("timezone") == nil)
            #expect(try await store.settings().keys.sorted() == ["log.retention_days", "password_policy"])
        }
    }

    @Test("log lines append in one go and read back newest first, filtered by level, time and run", arguments: Backend.all)
    func logs(backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            func at(_ seconds: TimeInterval) -> Date { milliseconds(TestClock.start.addingTimeInterval(seconds)) }
            let lines = [
                LogEntry(time: at(0), level: .debug, logger: "workflow.engine", message: "tick"),
                LogEntry(time: at(1), level: .info, logger: "workflow.engine", message: "run started", runID: 7),
                LogEntry(time: at(2), level: .error, logger: "workflow.engine", message: "step failed", runID: 7, stepName: "fetch"),
                LogEntry(time: at(3), level: .warning, logger: "workflow.server", message: "slow request"),
                LogEntry(time: at(4), level: .critical, logger: "workflow.server", message: "disk full"),
            ]
            try await store.appendLogs(lines)
            try await store.appendLogs([])

            let all = try await store.logs()
            #expect(all.map(\.message) == ["disk full", "slow request", "step failed", "run started", "tick"])
            #expect(all.allSatisfy { $0.id != nil })
            var withoutIDs = all.reversed().map { entry in
                var entry = entry
                entry.id = nil
                return entry
            }
            #expect(withoutIDs == lines)
            withoutIDs.removeAll()

            #expect(try await store.logs(LogQuery(minimumLevel: .warning)).map(\.message) == ["disk full", "slow request", "step failed"])
            #expect(try await store.logs(LogQuery(since: at(3))).map(\.message) == ["disk full", "slow request"])
            #expect(try await store.logs(LogQuery(runID: 7)).map(\.message) == ["step failed", "run started"])
            #expect(try await store.logs(LogQuery(limit: 2)).map(\.message) == ["disk full", "slow request"])

            #expect(try await store.purgeLogs(olderThan: at(2)) == 2)
            #expect(try await store.logs().map(\.message) == ["disk full", "slow request", "step failed"])
            #expect(try await store.purgeLogs(olderThan: at(2)) == 0)
        }
    }

    @Test("many log lines are written in chunks of one transaction", arguments: Backend.all)
    func manyLogs(backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            let lines = (0..<1_000).map {
                LogEntry(time: TestClock.start, level: .info, logger: "bulk", message: "line \($0)", runID: Int64($0))
            }
            try await store.appendLogs(lines)
            #expect(try await store.logs(LogQuery(limit: 5_000)).count == 1_000)
        }
    }

    @Test("quotes, unicode and SQL in values are stored as data, never run", arguments: Backend.all)
    func valuesAreBound(backend: Backend) async throws {
        try await withStore(backend) { store, _ in
            let evil = "'; DROP TABLE flows; --"
            let odd = #"O'Brien "quoted" \back\slash 名前 🚀 %_ $1 ?"#
            let flow = try await store.createFlow(name: evil, document: [evil: .string(odd)], author: odd, comment: evil)
            #expect(try await store.flow(named: evil) == flow)
            #expect(try await store.listFlows(FlowQuery(text: "drop table")).map(\.name) == [evil])
            #expect(try await store.listFlows(FlowQuery(text: "%_ $")) == [])
            let renamed = try await store.renameFlow(from: evil, to: odd, author: evil)
            #expect(renamed.name == odd)
            #expect(try await store.version(1, of: odd).comment == evil)

            let run = try await store.createRun(
                flowName: odd, flowVersion: 2, document: [odd: .string(evil)], trigger: .webhook, triggeredBy: evil,
                inputs: [evil: .string(odd)], node: odd)
            #expect(try await store.run(id: run.id) == run)
            #expect(try await store.listRuns(RunQuery(flowName: odd)).map(\.id) == [run.id])
            let step = StepRecord(name: evil, order: 0, module: odd, method: evil, params: [odd: .string(evil)], error: odd)
            try await store.recordStepFinished(runID: run.id, step: step)
            #expect(try await store.steps(runID: run.id) == [step])

            try await store.setSetting(evil, to: .string(odd))
            #expect(try await store.setting(evil) == .string(odd))
            try await store.appendLogs([LogEntry(time: TestClock.start, level: .info, logger: evil, message: odd, stepName: evil)])
            #expect(try await store.logs().first?.message == odd)

            _ = try await store.deleteFlow(name: odd, author: nil)
            #expect(try await store.listFlows(FlowQuery(includeDeleted: true)).count == 1)
        }
    }
}
