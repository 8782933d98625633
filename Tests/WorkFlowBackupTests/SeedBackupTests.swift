import Foundation
import Testing
import WorkFlowEngine
import WorkFlowStore

@testable import WorkFlowBackup

/// Backups as WorkFlow v0.0.3 wrote them (SEED-SPEC §3.2, §6.11), byte for byte where the spec says.
enum SeedBackup {
    /// `json.dumps(..., indent=2, ensure_ascii=False)` of a workflow row: `procedures` holds the
    /// whole definition, editor layout included; non-ASCII text is kept.
    static let dailyReport = """
        {
          "flow_name": "daily_report",
          "enabled": true,
          "procedures": {
            "procedures": [
              {
                "name": "step1",
                "mod": "common.Kt",
                "method": "prt1",
                "params": {
                  "msg": "日報 for @var.env"
                }
              },
              {
                "name": "step2",
                "mod": "common.Kt",
                "method": "prt2",
                "params": {
                  "msg": "@step1.msg"
                }
              }
            ],
            "variables": {
              "env": "production"
            },
            "_connections": [
              {
                "from": "step1",
                "to": "step2"
              }
            ],
            "_positions": {
              "step1": {
                "x": 40,
                "y": 80
              }
            }
          }
        }
        """

    /// A disabled workflow calling a custom module that the backup ships in modules/.
    static let custom = """
        {
          "flow_name": "custom greeting",
          "enabled": false,
          "procedures": {
            "procedures": [
              {
                "name": "hello",
                "mod": "mycat.Greeter",
                "method": "hello",
                "params": {}
              }
            ]
          }
        }
        """

    /// A row whose definition could not be parsed: the seed wrote `{}`.
    static let empty = """
        {
          "flow_name": "empty",
          "enabled": true,
          "procedures": {}
        }
        """

    /// The web UI's backup (every checkbox ticked); `apiFlavour` makes the REST API's instead.
    static func zip(apiFlavour: Bool = false) -> Data {
        var zip = HandMadeZIP()
        zip.add("workflows/daily_report.json", dailyReport)
        zip.add("workflows/custom greeting.json", custom)
        zip.add("workflows/empty.json", empty)
        // The seed backed up its own modules too, with Finder-style copies and helpers.
        zip.add("modules/common/Bash.py", "class Bash:\n    pass\n")
        zip.add("modules/common/Http 2.py", "class Http:\n    pass\n")
        zip.add("modules/common/_helpers.py", "def helper():\n    return 1\n")
        zip.add("modules/mycat/Greeter.py", "class Greeter:\n    def hello(self, context, cfgs):\n        return {\"status\": True}\n")
        if !apiFlavour {
            zip.add(
                "accounts.json",
                #"{"users": [{"model": "auth.user", "pk": 2, "fields": {"username": "ops", "password": "pbkdf2_sha256$1$x$y"}}], "groups": [], "roles": []}"#)
        }
        zip.add("settings.json", "{\n  \"timezone\": \"Asia/Shanghai\",\n  \"password_min_length\": \"8\"\n}")
        let manifest =
            apiFlavour
            ? #"{"created_at": "2026-02-25T10:00:00.123456Z", "created_by": "api", "sections": ["workflows", "modules", "settings"]}"#
            : #"{"created_at": "2026-02-25T10:00:00.123456+00:00", "created_by": "admin", "sections": ["workflows", "modules", "accounts", "settings"]}"#
        zip.add("backup.json", manifest)
        return zip.data
    }
}

@Suite("restoring the seed's backups")
struct SeedBackupTests {
    @Test("a backup made by the seed's web UI restores: workflows, settings and custom modules; its own modules and accounts are left out")
    func webBackup() async throws {
        try await BackupHarness.with { harness in
            let result = try await harness.restore(SeedBackup.zip())
            #expect(result.failures.isEmpty)
            #expect(result.plan.archive.manifest.isSeedBackup)
            #expect(result.plan.ignoredSections == [.accounts])

            let flows = try await harness.store.listFlows(FlowQuery())
            #expect(flows.map(\.name) == ["custom greeting", "daily_report", "empty"])
            #expect(flows.map(\.enabled) == [false, true, true])
            let daily = try #require(flows.first { $0.name == "daily_report" })
            #expect(daily.document == (try document(SeedBackup.dailyReport))["procedures"]?.objectValue)
            #expect(daily.document["_positions"] == ["step1": ["x": 40, "y": 80]])
            let versions = try await harness.store.versions(of: "daily_report")
            #expect(versions.map(\.number) == [1])
            #expect(versions.first?.comment == "restored from backup test.zip")
            #expect(versions.first?.author == "tester")

            #expect(try await harness.store.settings() == ["timezone": "Asia/Shanghai", "password_min_length": "8"])

            let modules = result.plan.items.filter { $0.kind == .module }
            #expect(modules.filter { $0.change == .skip }.map(\.name) == ["common/Bash.py", "common/Http 2.py", "common/_helpers.py"])
            #expect(modules.filter { $0.change == .skip }.map(\.detail) == [
                "built into WorkFlow", "a copy of common.Http, which is built into WorkFlow",
                "a helper file, not a module (the seed skipped names starting with '_' too)",
            ])
            #expect(modules.filter { $0.change == .create }.map(\.name) == ["mycat/Greeter.py"])
            #expect(try await harness.store.modules().map(\.qualifiedName) == ["mycat.Greeter"])
            let greeter = try #require(try await harness.store.module(category: "mycat", name: "Greeter"))
            #expect(greeter.source == "class Greeter:\n    def hello(self, context, cfgs):\n        return {\"status\": True}\n")
            #expect(greeter.createdBy == "tester")
        }
    }

    @Test("a backup made by the seed's REST API (created_by api, no accounts) restores")
    func apiBackup() async throws {
        try await BackupHarness.with { harness in
            let result = try await harness.restore(SeedBackup.zip(apiFlavour: true))
            #expect(result.failures.isEmpty)
            #expect(result.plan.ignoredSections.isEmpty)
            #expect(result.plan.archive.manifest.createdBy == "api")
            #expect(try await harness.store.listFlows(FlowQuery()).count == 3)
        }
    }

    @Test("a step calling a custom module is accepted when the store holds the module, and rejected when nobody has it")
    func customModules() async throws {
        var zip = HandMadeZIP()
        zip.add("workflows/custom greeting.json", SeedBackup.custom)
        zip.add("backup.json", #"{"created_at": "x", "created_by": "api", "sections": ["workflows"]}"#)
        let data = zip.data
        try await BackupHarness.with { harness in
            do throws(BackupError) {
                _ = try await harness.restore(data)
                Issue.record("a workflow calling an unknown module was accepted")
            } catch {
                #expect(error.problems.map(\.entry) == ["workflows/custom greeting.json"])
                #expect(error.problems.first?.message.contains("procedures[0].mod: unknown module 'mycat.Greeter'") == true)
            }
            try await harness.storeModule("mycat.Greeter", "class Greeter: pass\n")
            let result = try await harness.restore(data)
            #expect(result.plan.items(.workflow, .create).map(\.name) == ["custom greeting"])
        }
    }
}
