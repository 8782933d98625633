import Foundation
import Testing
import WorkFlowEngine
import WorkFlowStore
import ZIPFoundation

@testable import WorkFlowBackup

@Suite("backup and restore round trip")
struct BackupRoundTripTests {
    /// Two workflows with histories (one disabled), settings and a custom module.
    static func fill(_ harness: BackupHarness) async throws {
        let store = harness.store
        _ = try await store.createFlow(name: "hello", document: greetFlow, author: "alice", comment: "first")
        harness.clock.advance(seconds: 60)
        var changed = greetFlow
        changed["variables"] = ["who": "devs"]
        _ = try await store.updateFlow(name: "hello", document: changed, author: "bob", comment: "devs now")
        harness.clock.advance(seconds: 60)
        _ = try await store.createFlow(name: "nightly/report", document: greetFlow, author: "alice", comment: nil)
        _ = try await store.setEnabled(name: "nightly/report", enabled: false, author: "alice")
        _ = try await store.createFlow(name: "gone", document: greetFlow, author: "alice", comment: nil)
        _ = try await store.deleteFlow(name: "gone", author: "alice")
        try await store.setSetting("timezone", to: "Europe/Paris")
        try await store.setSetting("log.retention_days", to: 14)
        try await harness.storeModule("mycat.Greeter", "class Greeter:\n    pass\n")
    }

    @Test("restoring a backup into an empty store gives the same workflows, versions, settings and modules")
    func roundTrip() async throws {
        let (backup, original) = try await BackupHarness.with { harness in
            try await Self.fill(harness)
            let output = try await harness.writer.write(createdBy: "alice", at: harness.clock.now())
            #expect(output.workflows == ["hello", "nightly/report"])
            #expect(output.versionCount == 3)
            #expect(output.settingCount == 2)
            #expect(output.modules == ["mycat/Greeter.py"])
            return (output.data, try await harness.snapshot())
        }
        try await BackupHarness.with { harness in
            let result = try await harness.restore(backup)
            #expect(result.failures.isEmpty)
            #expect(result.plan.items(.workflow, .create).map(\.name) == ["hello", "nightly/report"])
            let restored = try await harness.snapshot()
            let live = original.flows.filter { !$0.deleted }
            #expect(restored.flows.map(\.name) == live.map(\.name))
            #expect(restored.flows.map(\.document) == live.map(\.document))
            #expect(restored.flows.map(\.enabled) == [true, false])
            #expect(restored.flows.map(\.currentVersion) == live.map(\.currentVersion))
            for flow in live {
                #expect(restored.versions[flow.name] == original.versions[flow.name], "versions of \(flow.name)")
            }
            #expect(restored.settings == original.settings)
            #expect(restored.modules == ["mycat.Greeter": ["v1: class Greeter:\n    pass\n"]])
            let versions = try await harness.store.moduleVersions(category: "mycat", name: "Greeter")
            #expect(versions.map(\.author) == ["tester"])
            #expect(versions.map(\.comment) == ["restored from backup test.zip"])
            #expect(harness.modules.checkCalls == [["mycat.Greeter"]])
            #expect(harness.modules.reloads == 1)
        }
    }

    @Test("restoring the same backup twice changes nothing the second time")
    func restoreTwice() async throws {
        try await BackupHarness.with { harness in
            try await Self.fill(harness)
            let backup = try await harness.writer.write(createdBy: "alice", at: harness.clock.now()).data
            let before = try await harness.snapshot()
            let result = try await harness.restore(backup)
            #expect(result.failures.isEmpty)
            #expect(Set(result.plan.items.map(\.change)) == [.unchanged])
            #expect(try await harness.snapshot() == before)
            #expect(harness.modules.reloads == 0)
        }
    }

    @Test("a workflow that exists gets the backup's document as a new version; its history and enabled flag stay")
    func updateExisting() async throws {
        let backup = try await BackupHarness.with { harness in
            try await Self.fill(harness)
            return try await harness.writer.write(createdBy: "alice", at: harness.clock.now()).data
        }
        try await BackupHarness.with { harness in
            var other = greetFlow
            other["variables"] = ["who": "nobody"]
            _ = try await harness.store.createFlow(name: "hello", document: other, author: "carol", comment: nil)
            _ = try await harness.store.setEnabled(name: "hello", enabled: false, author: "carol")
            try await harness.store.setSetting("timezone", to: "UTC")
            try await harness.store.setSetting("kept", to: true)
            let result = try await harness.restore(backup)
            #expect(result.failures.isEmpty)
            #expect(result.plan.items(.workflow, .update).map(\.name) == ["hello"])
            let flow = try #require(try await harness.store.flow(named: "hello"))
            #expect(flow.currentVersion == 2)
            #expect(flow.enabled == false)
            #expect(flow.document["variables"] == ["who": "devs"])
            let versions = try await harness.store.versions(of: "hello")
            #expect(versions.map(\.author) == ["tester", "carol"])
            #expect(versions.first?.comment == "restored from backup test.zip")
            #expect(try await harness.store.setting("timezone") == "Europe/Paris")
            #expect(try await harness.store.setting("kept") == true)
        }
    }

    @Test("the ZIP has the seed's layout: workflows/, modules/, settings.json, backup.json; histories under extra/")
    func layout() async throws {
        try await BackupHarness.with { harness in
            try await Self.fill(harness)
            let output = try await harness.writer.write(createdBy: "alice", at: TestClock.start)
            let archive = try Archive(data: output.data, accessMode: .read)
            let paths = archive.map(\.path)
            #expect(
                paths == [
                    "workflows/hello.json", "workflows/nightly%2Freport.json", "extra/versions/hello.json",
                    "extra/versions/nightly%2Freport.json", "modules/mycat/Greeter.py", "settings.json", "extra/schedules.json",
                    "extra/users.json", "backup.json",
                ])
            func text(_ path: String) throws -> String {
                var data = Data()
                _ = try archive.extract(try #require(archive[path])) { data.append($0) }
                return String(decoding: data, as: UTF8.self)
            }
            #expect(
                try text("workflows/nightly%2Freport.json") == """
                    {
                      "flow_name": "nightly/report",
                      "enabled": false,
                      "procedures": {
                        "procedures": [
                          {
                            "name": "greet",
                            "mod": "common.Kt",
                            "method": "prt1",
                            "params": {
                              "msg": "hi ${var.who}"
                            }
                          }
                        ],
                        "variables": {
                          "who": "ops"
                        }
                      }
                    }
                    """)
            #expect(
                try text("backup.json") == """
                    {
                      "created_at": "2026-01-01T00:00:00.123Z",
                      "created_by": "alice",
                      "sections": [
                        "workflows",
                        "modules",
                        "settings"
                      ],
                      "format_version": 1,
                      "producer": "WorkFlow (Swift)",
                      "extra_sections": {
                        "versions": 1,
                        "schedules": 1,
                        "users": 1
                      }
                    }
                    """)
            #expect(try JSONParser.parse(try text("settings.json")) == ["log.retention_days": 14, "timezone": "Europe/Paris"])
            let history = try JSONParser.parse(try text("extra/versions/hello.json"))
            #expect(history["versions"]?.arrayValue?.map { $0["number"] } == [1, 2])
            #expect(history["versions"]?.arrayValue?.first?["created_at"] == "2026-01-01T00:00:00.123Z")
            #expect(history["versions"]?.arrayValue?.last?["comment"] == "devs now")
        }
    }

    @Test("names that are not safe file names are escaped in entry paths; the name inside the entry is used")
    func entryNames() {
        #expect(BackupLayout.workflowEntry(for: "a/b") == "workflows/a%2Fb.json")
        #expect(BackupLayout.workflowEntry(for: "../x") == "workflows/%2E.%2Fx.json")
        #expect(BackupLayout.workflowEntry(for: "100% done") == "workflows/100%25 done.json")
        #expect(BackupLayout.workflowEntry(for: "c:\\x") == "workflows/c%3A%5Cx.json")
        #expect(BackupLayout.workflowEntry(for: "日報") == "workflows/日報.json")
        for name in ["a/b", "../x", "..", ".hidden", "c:\\x"] {
            #expect(EntryPath.problem(BackupLayout.workflowEntry(for: name)) == nil, "\(name)")
        }
    }
}
