import Foundation
import Testing
import WorkFlowEngine
import WorkFlowStore

@testable import WorkFlowBackup

@Suite("custom modules in backups")
struct BackupModulesTests {
    static let manifest = #"{"created_at": "2026-02-25T10:00:00Z", "created_by": "api", "sections": ["workflows", "modules"]}"#
    static let greeter = "class Greeter:\n    def hello(self, context, cfgs):\n        return {\"status\": True}\n"

    /// A seed-style backup entry of a workflow with one step.
    static func workflow(_ name: String, mod: String, method: String) -> String {
        #"{"flow_name": "\#(name)", "enabled": true, "procedures": {"procedures": [{"name": "s", "mod": "\#(mod)", "method": "\#(method)", "params": {}}]}}"#
    }

    static func zip(_ entries: [(String, String)]) -> Data {
        var zip = HandMadeZIP()
        for (path, text) in entries { zip.add(path, text) }
        zip.add("backup.json", manifest)
        return zip.data
    }

    @Test("a backup writes each stored module's current source to modules/<category>/<Name>.py")
    func backupWritesStoredSources() async throws {
        try await BackupHarness.with { harness in
            try await harness.storeModule("mycat.Greeter", "class Greeter:\n    pass\n")
            try await harness.storeModule("mycat.Greeter", Self.greeter)
            try await harness.storeModule("zeta.Tool", "class Tool:\n    pass\n")
            let output = try await harness.writer.write(createdBy: "alice", at: TestClock.start)
            #expect(output.modules == ["mycat/Greeter.py", "zeta/Tool.py"])
            try await BackupHarness.with { target in
                let result = try await target.restore(output.data)
                #expect(result.plan.items(.module, .create).map(\.name) == ["mycat/Greeter.py", "zeta/Tool.py"])
                #expect(try await target.store.module(category: "mycat", name: "Greeter")?.source == Self.greeter)
            }
        }
    }

    @Test("a module source with a syntax error refuses the restore, naming the entry, line and column; nothing is written")
    func syntaxError() async throws {
        let data = Self.zip([
            ("workflows/greet.json", Self.workflow("greet", mod: "mycat.Greeter", method: "hello")),
            ("modules/mycat/Greeter.py", Self.greeter),
            ("modules/mycat/Broken.py", "class Broken:\n    def x(self !!!\n"),
        ])
        let problems = try await BackupRejectionTests.refuse(data)
        #expect(problems == [BackupProblem(entry: "modules/mycat/Broken.py", message: "syntax error: invalid syntax", line: 2, column: 16)])
        #expect(problems.map(\.description) == ["modules/mycat/Broken.py:2:16: syntax error: invalid syntax"])
        #expect(problems.first?.json == ["entry": "modules/mycat/Broken.py", "message": "syntax error: invalid syntax", "line": 2, "column": 16])
    }

    @Test("the sources to restore are checked together in one call, so that they may import one another")
    func checkedTogether() async throws {
        try await BackupHarness.with { harness in
            let data = Self.zip([("modules/mycat/Greeter.py", Self.greeter), ("modules/mycat/Helper.py", "class Helper:\n    pass\n")])
            _ = try await harness.restore(data)
            #expect(harness.modules.checkCalls == [["mycat.Greeter", "mycat.Helper"]])
        }
    }

    @Test("a workflow calling a module the same backup ships is validated against that module's methods")
    func shippedModuleMethods() async throws {
        let good = Self.zip([
            ("workflows/greet.json", Self.workflow("greet", mod: "mycat.Greeter", method: "hello")),
            ("modules/mycat/Greeter.py", Self.greeter),
        ])
        try await BackupHarness.with { harness in
            let result = try await harness.restore(good)
            #expect(result.failures.isEmpty)
            #expect(result.plan.items(.workflow, .create).map(\.name) == ["greet"])
        }
        let bad = Self.zip([
            ("workflows/greet.json", Self.workflow("greet", mod: "mycat.Greeter", method: "wave")),
            ("modules/mycat/Greeter.py", Self.greeter),
        ])
        let problems = try await BackupRejectionTests.refuse(bad)
        #expect(problems.map(\.entry) == ["workflows/greet.json"])
        #expect(problems.first?.message.contains("procedures[0].method") == true, "\(problems)")
    }

    @Test("a stored module with a different source gets a new version; the same source none; it is never taken for a built-in")
    func versions() async throws {
        try await BackupHarness.with { harness in
            try await harness.storeModule("mycat.Greeter", "class Greeter:\n    pass\n")
            let data = Self.zip([("modules/mycat/Greeter.py", Self.greeter.replacingOccurrences(of: "\n", with: "\r\n"))])
            var result = try await harness.restore(data)
            #expect(result.failures.isEmpty)
            #expect(result.plan.items(.module, .update).map(\.detail) == ["as version 2"])
            let versions = try await harness.store.moduleVersions(category: "mycat", name: "Greeter")
            #expect(versions.map(\.number) == [2, 1])
            #expect(versions.first?.source == Self.greeter, "CRLF line ends are saved as LF")
            #expect(versions.first?.author == "tester")
            #expect(versions.first?.comment == "restored from backup test.zip")
            #expect(harness.modules.reloads == 1)

            result = try await harness.restore(data)
            #expect(result.plan.items(.module, .unchanged).map(\.detail) == ["version 2"])
            #expect(try await harness.store.moduleVersions(category: "mycat", name: "Greeter").count == 2)
            #expect(harness.modules.reloads == 1)
        }
    }

    @Test("a module that cannot be called yet is saved with its problem, and workflows may call it by name")
    func brokenModule() async throws {
        try await BackupHarness.with { harness in
            let data = Self.zip([
                ("workflows/greet.json", Self.workflow("greet", mod: "mycat.Lonely", method: "hello")),
                ("modules/mycat/Lonely.py", "import pymysql\n"),
            ])
            let result = try await harness.restore(data)
            #expect(result.failures.isEmpty)
            let item = try #require(result.plan.items(.module, .create).first)
            #expect(item.detail == "version 1; saved with a problem, steps cannot call it until it is fixed: the file defines no class named Lonely")
            #expect(try await harness.store.module(category: "mycat", name: "Lonely") != nil)
            #expect(try await harness.store.flow(named: "greet") != nil)
        }
    }

    @Test("modules left out: the seed's own, copies, helpers and names the store cannot hold; restores without author are by 'restore'")
    func leftOut() async throws {
        try await BackupHarness.with { harness in
            let data = Self.zip([
                ("modules/common/Bash.py", "class Bash: pass\n"), ("modules/common/Kt 3.py", "class Kt: pass\n"),
                ("modules/mycat/Greeter 2.py", Self.greeter), ("modules/mycat/__init__.py", ""),
                ("modules/mycat/old-greeter.py", Self.greeter), ("modules/MyCat/Tool.py", "class Tool: pass\n"),
                ("modules/mycat/Greeter.py", Self.greeter),
            ])
            let archive = try await BackupArchive.read(data, registry: BackupHarness.registry, modules: harness.modules)
            let plan = try await harness.restorer.plan(archive)
            #expect(plan.items(.module, .create).map(\.name) == ["mycat/Greeter.py"])
            let skipped = plan.items(.module, .skip)
            #expect(skipped.map(\.name) == ["common/Bash.py", "common/Kt 3.py", "mycat/Greeter 2.py", "mycat/__init__.py", "mycat/old-greeter.py", "MyCat/Tool.py"])
            #expect(skipped[2].detail?.hasPrefix("a copy: a file name with a space") == true)
            #expect(skipped[4].detail?.hasPrefix("cannot be stored as a module: Module name must start with") == true)
            #expect(skipped[5].detail?.hasPrefix("cannot be stored as a module: Category must start with a lowercase letter") == true)
            #expect(harness.modules.checkCalls == [["mycat.Greeter"]])
            _ = await harness.restorer.apply(plan, author: nil, comment: "imported")
            let versions = try await harness.store.moduleVersions(category: "mycat", name: "Greeter")
            #expect(versions.map(\.author) == ["restore"])
            #expect(versions.map(\.comment) == ["imported"])
        }
    }
}
