import Foundation
import Logging
import Testing
import WorkFlowEngine
import WorkFlowStore
import ZIPFoundation

@testable import WorkFlowCLI

/// A WorkFlow v0.0.3 installation as the seed laid it out, in a temporary folder.
final class SeedFolder {
    let root: URL

    /// The seed's module skeleton, as its "Create module" wrote it, with `example` returning `param1`.
    static let testModule = """
        \"\"\"Test Workflow Procedure Module\"\"\"


        class Test:
            \"\"\"Test module.\"\"\"

            def __init__(self, logger):
                self.logger = logger

            def example(self, context, cfgs):
                \"\"\"Example method.

                Args:
                    param1 (str): Description of param1
                    param2 (int): Optional description of param2 (default: 0)

                Returns:
                    dict: {"status": true, "data": param1}
                \"\"\"
                self.logger.info("example called")
                return {"status": True, "data": cfgs["param1"]}

        """

    /// One of the seed's own modules; WorkFlow has it built in, so it is never imported.
    static let bash = "import subprocess\n\n\nclass Bash:\n    def run(self, context, cfgs):\n        return {\"status\": True}\n"

    /// A definition as the seed's `-c` option took it.
    static let demo = #"{"name": "demo", "procedures": [{"name": "s1", "mod": "test.Test", "method": "example", "params": {"param1": "hello"}}]}"#

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("wf-seed-\(UUID().uuidString)")
        try write("mod/test/Test.py", Self.testModule)
        try write("mod/common/Bash.py", Self.bash)
        try write("mod/common/__init__.py", "")
        try write("exported/demo.json", Self.demo)
    }

    func write(_ path: String, _ text: String) throws {
        let url = root.appendingPathComponent(path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
    }

    func path(_ relative: String = "") -> String { relative.isEmpty ? root.path : root.appendingPathComponent(relative).path }

    deinit { try? FileManager.default.removeItem(at: root) }
}

@Suite("workflow import-seed")
struct ImportSeedCommandTests {
    /// The custom modules in `home`'s store: `category.Name` → current version.
    static func storedModules(_ home: TempHome) async throws -> [String: Int] {
        let store = try await Store.open(url: home.databaseURL, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        let modules = try await store.modules()
        await store.close()
        return Dictionary(uniqueKeysWithValues: modules.map { ($0.qualifiedName, $0.currentVersion) })
    }

    @Test("a seed installation's module and an exported workflow come over, the seed's own module is left out, and the workflow runs")
    func importFolderAndRun() async throws {
        let seed = try SeedFolder()
        let home = try TempHome()
        var r = await home.run(["import-seed", "--dir", seed.path(), "--workflows", seed.path("exported")])
        #expect(r.code == 0, "\(r.err)")
        #expect(r.out.hasPrefix("Import from \(seed.path()):\n"))
        #expect(r.out.contains("module    create  test.Test        \(seed.path("mod/test/Test.py"))"), "\(r.out)")
        #expect(r.out.contains("module    skip    common.Bash      \(seed.path("mod/common/Bash.py"))"), "\(r.out)")
        #expect(r.out.contains("workflow  create  demo             \(seed.path("exported/demo.json"))"), "\(r.out)")
        #expect(
            r.out.hasSuffix(
                "Imported: modules 1 created, 0 updated, 0 unchanged, 2 skipped (1 built into WorkFlow); workflows 1 created, 0 updated, 0 unchanged; 0 settings written.\n"
            ))
        #expect(try await Self.storedModules(home) == ["test.Test": 1])

        r = await home.run(["run", "demo", "--json"])
        #expect(r.code == 0, "\(r.out) \(r.err)")
        let report = try JSONParser.parse(r.out)
        #expect(report["steps"]?.arrayValue?.first?["result"] == ["status": true, "data": "hello"])
        r = await home.run(["-f", "demo"])
        #expect(r.code == 0, "\(r.out) \(r.err)")

        // Again: nothing changes. A changed module source is a new version.
        r = await home.run(["import-seed", "--dir", seed.path(), "--workflows", seed.path("exported"), "--json"])
        let again = try JSONParser.parse(r.out)
        #expect(again["modules"]?["unchanged"] == ["test.Test"])
        #expect(again["workflows"]?["unchanged"] == ["demo"])
        try seed.write("mod/test/Test.py", SeedFolder.testModule.replacingOccurrences(of: "cfgs[\"param1\"]", with: "cfgs[\"param1\"].upper()"))
        r = await home.run(["import-seed", "--dir", seed.path(), "--json"])
        #expect(r.code == 0, "\(r.err)")
        let changed = try JSONParser.parse(r.out)
        #expect(changed["modules"]?["updated"] == ["test.Test"])
        #expect(changed["modules"]?["skipped"]?[0] == ["name": "common.Bash", "file": .string(seed.path("mod/common/Bash.py")), "reason": "built into WorkFlow"])
        #expect(try await Self.storedModules(home) == ["test.Test": 2])
        r = await home.run(["run", "demo", "--json"])
        #expect(try JSONParser.parse(r.out)["steps"]?[0]?["result"] == ["status": true, "data": "HELLO"])
    }

    @Test("a module with a syntax error is listed with its path, line and column, nothing is written, and the exit status is 2")
    func syntaxError() async throws {
        let seed = try SeedFolder()
        try seed.write("mod/test/Broken.py", "class Broken:\n    def run(self, context, cfgs)\n        return {}\n")
        let home = try TempHome()
        var r = await home.run(["import-seed", "--dir", seed.path(), "--workflows", seed.path("exported")])
        #expect(r.code == 2)
        #expect(r.out.isEmpty)
        let lines = r.err.split(separator: "\n").map(String.init)
        #expect(lines.first == "workflow: \(seed.path()) cannot be imported; nothing was written:")
        #expect(lines.count == 2, "\(r.err)")
        #expect(lines.last?.hasPrefix("  \(seed.path("mod/test/Broken.py")):2:") == true, "\(r.err)")
        #expect(lines.last?.contains(": syntax error: ") == true)
        #expect(try await Self.storedModules(home).isEmpty)
        r = await home.run(["flow", "list", "--json"])
        #expect(try JSONParser.parse(r.out).arrayValue?.isEmpty == true)

        r = await home.run(["import-seed", "--dir", seed.path(), "--json"])
        #expect(r.code == 2)
        let report = try JSONParser.parse(r.out)
        #expect(report["status"] == false)
        #expect(report["problems"]?[0]?["entry"] == .string(seed.path("mod/test/Broken.py")))
        #expect(report["problems"]?[0]?["line"] == 2)
        #expect(report["problems"]?[0]?["column"]?.intValue != nil)
    }

    @Test("--dry-run shows what would change and writes nothing")
    func dryRun() async throws {
        let seed = try SeedFolder()
        try seed.write("workflows/other.json", #"{"flow_name": "other", "enabled": false, "procedures": {"procedures": [{"name": "a", "mod": "common.Kt", "method": "prt1", "params": {"msg": "x"}}]}}"#)
        let home = try TempHome()
        var r = await home.run(["import-seed", "--dir", seed.path(), "--workflows", seed.path("exported"), "--dry-run"])
        #expect(r.code == 0, "\(r.err)")
        #expect(r.out.contains("workflow  create  other"))
        #expect(r.out.contains("Dry run: nothing was written. Importing would give: modules 1 created"))
        #expect(try await Self.storedModules(home).isEmpty)
        r = await home.run(["flow", "list", "--json"])
        #expect(try JSONParser.parse(r.out).arrayValue?.isEmpty == true)

        r = await home.run(["import-seed", "--dir", seed.path(), "--workflows", seed.path("exported"), "--dry-run", "--json"])
        let report = try JSONParser.parse(r.out)
        #expect(report["dry_run"] == true)
        #expect(report["modules"]?["created"] == ["test.Test"])
        #expect(report["workflows"]?["created"] == ["other", "demo"])
        r = await home.run(["import-seed", "--dir", seed.path(), "--workflows", seed.path("exported")])
        #expect(r.code == 0, "\(r.err)")
        r = await home.run(["flow", "show", "other", "--json"])
        #expect(try JSONParser.parse(r.out)["enabled"] == false, "the seed's enabled flag is kept")
    }

    @Test("a seed backup ZIP: modules into the store, the seed's own and copies left out, workflows and settings; the workflow runs")
    func importBackup() async throws {
        let archive = try Archive(accessMode: .create)
        let workflow = """
            {
              "flow_name": "demo",
              "enabled": true,
              "procedures": {
                "procedures": [
                  {"name": "s1", "mod": "test.Test", "method": "example", "params": {"param1": "from zip"}}
                ]
              }
            }
            """
        let entries = [
            ("workflows/demo.json", workflow), ("modules/test/Test.py", SeedFolder.testModule), ("modules/common/Bash.py", SeedFolder.bash),
            ("modules/common/Http 2.py", "class Http:\n    pass\n"), ("settings.json", #"{"timezone": "Asia/Shanghai"}"#),
            ("backup.json", #"{"created_at": "2026-02-25T10:00:00.123456Z", "created_by": "api", "sections": ["workflows", "modules", "settings"]}"#),
        ]
        for (path, text) in entries {
            let data = Data(text.utf8)
            try archive.addEntry(with: path, type: .file, uncompressedSize: Int64(data.count)) { position, size in
                data.subdata(in: Int(position)..<Int(position) + size)
            }
        }
        let home = try TempHome()
        let zip = home.directory.appendingPathComponent("workflow_backup_20260225_100000.zip")
        try #require(archive.data).write(to: zip)

        var r = await home.run(["import-seed", "--backup", zip.path, "--json"])
        #expect(r.code == 0, "\(r.out) \(r.err)")
        let report = try JSONParser.parse(r.out)
        #expect(report["status"] == true)
        #expect(report["modules"]?["created"] == ["test.Test"])
        #expect(report["modules"]?["skipped"]?.arrayValue?.map { $0["name"] } == ["common.Bash", "common.Http 2"])
        #expect(report["modules"]?["skipped"]?[1]?["file"] == "modules/common/Http 2.py")
        #expect(report["workflows"]?["created"] == ["demo"])
        #expect(report["settings"] == ["timezone"])
        #expect(try await Self.storedModules(home) == ["test.Test": 1])

        r = await home.run(["run", "demo", "--json"])
        #expect(r.code == 0, "\(r.out) \(r.err)")
        #expect(try JSONParser.parse(r.out)["steps"]?[0]?["result"] == ["status": true, "data": "from zip"])
        r = await home.run(["flow", "versions", "demo", "--json"])
        #expect(try JSONParser.parse(r.out)[0]?["comment"] == "imported from WorkFlow v0.0.3 (workflow_backup_20260225_100000.zip)")
    }

    @Test("one source is required: --backup, or --dir and --workflows")
    func options() async throws {
        let home = try TempHome()
        var r = await home.run(["import-seed"])
        #expect(r.code == 2)
        #expect(r.err.contains("give --backup FILE.zip or --dir PATH"))
        r = await home.run(["import-seed", "--backup", "x.zip", "--dir", "y"])
        #expect(r.code == 2)
        r = await home.run(["import-seed", "--dir", home.directory.appendingPathComponent("nope").path])
        #expect(r.code == 2)
        #expect(r.err == "workflow: \(home.directory.appendingPathComponent("nope").path): no such folder\n")
    }
}
