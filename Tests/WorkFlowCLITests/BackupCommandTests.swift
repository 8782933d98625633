import Foundation
import Testing
import WorkFlowEngine
import ZIPFoundation

@testable import WorkFlowCLI

@Suite("backup and restore commands")
struct BackupCommandTests {
    @Test("backup writes a ZIP that restore brings back into another data folder")
    func backupAndRestore() async throws {
        let source = try TempHome()
        _ = await source.run(["flow", "create", "hello", try source.file("hello.json", helloFlow), "--comment", "first"])
        _ = await source.run(["flow", "update", "hello", try source.file("hello2.json", helloFlow.replacingOccurrences(of: "ops", with: "devs"))])
        let zip = source.directory.appendingPathComponent("backup.zip").path
        var r = await source.run(["backup", zip])
        #expect(r.code == 0, "\(r.err)")
        #expect(r.out.hasPrefix("Backed up 1 workflow (2 versions), 0 schedules, 0 users, 0 settings and 0 custom modules to \(zip) ("))

        r = await source.run(["backup", zip])
        #expect(r.code == 1)
        #expect(r.err == "workflow: \(zip) exists; give --force to replace it\n")
        r = await source.run(["backup", zip, "--force", "--json"])
        #expect(r.code == 0)
        let summary = try JSONParser.parse(r.out)
        #expect(summary["workflows"] == ["hello"])
        #expect(summary["versions"] == 2)

        let target = try TempHome()
        r = await target.run(["restore", zip, "--dry-run"])
        #expect(r.code == 0, "\(r.err)")
        #expect(r.out.contains("workflow  create  hello  with 2 versions"))
        #expect(r.out.contains("Dry run: nothing was written."))
        r = await target.run(["flow", "list", "--json"])
        #expect(try JSONParser.parse(r.out).arrayValue?.isEmpty == true)

        r = await target.run(["restore", zip])
        #expect(r.code == 0, "\(r.err)")
        #expect(r.out.contains("Restored: 1 workflow created"))
        r = await target.run(["flow", "versions", "hello", "--json"])
        #expect(try JSONParser.parse(r.out).arrayValue?.map { $0["comment"] } == [.null, "first"])

        r = await target.run(["restore", zip, "--json"])
        #expect(r.code == 0)
        let second = try JSONParser.parse(r.out)
        #expect(second["items"]?.arrayValue?.map { $0["change"] } == ["unchanged"])
        #expect(second["status"] == true)
    }

    @Test("backup writes the stored custom modules; restore saves them in the other store, and the workflow calling one runs there")
    func modules() async throws {
        let seed = try SeedFolder()
        let source = try TempHome()
        var r = await source.run(["import-seed", "--dir", seed.path(), "--workflows", seed.path("exported")])
        #expect(r.code == 0, "\(r.err)")
        let zip = source.directory.appendingPathComponent("backup.zip").path
        r = await source.run(["backup", zip, "--json"])
        #expect(r.code == 0, "\(r.err)")
        #expect(try JSONParser.parse(r.out)["modules"] == ["test/Test.py"])

        let target = try TempHome()
        r = await target.run(["restore", zip])
        #expect(r.code == 0, "\(r.err)")
        #expect(r.out.contains("module    create  test/Test.py  version 1"), "\(r.out)")
        #expect(try await ImportSeedCommandTests.storedModules(target) == ["test.Test": 1])
        r = await target.run(["run", "demo", "--json"])
        #expect(try JSONParser.parse(r.out)["steps"]?[0]?["result"] == ["status": true, "data": "hello"], "\(r.out) \(r.err)")
    }

    @Test("an invalid backup lists every problem, writes nothing and exits 2")
    func invalidBackup() async throws {
        let home = try TempHome()
        let archive = try Archive(accessMode: .create)
        for (path, text) in [("../escape.py", "x"), ("workflows/bad.json", "{"), ("junk.txt", "x")] {
            let data = Data(text.utf8)
            try archive.addEntry(with: path, type: .file, uncompressedSize: Int64(data.count)) { position, size in
                data.subdata(in: Int(position)..<Int(position) + size)
            }
        }
        let zip = home.directory.appendingPathComponent("bad.zip")
        try #require(archive.data).write(to: zip)
        var r = await home.run(["restore", zip.path])
        #expect(r.code == 2)
        #expect(
            r.err == """
                workflow: \(zip.path) cannot be restored; nothing was written:
                  backup.json: missing: this is not a WorkFlow backup
                  ../escape.py: '..' is not allowed in entry paths (it could escape the folder)
                  workflows/bad.json: not valid JSON: line 1, column 2: unterminated object: expected '}'
                  junk.txt: unknown section 'junk.txt' (a backup holds backup.json, settings.json, accounts.json, workflows/, modules/ and extra/)

                """)
        r = await home.run(["restore", zip.path, "--json"])
        #expect(r.code == 2)
        let report = try JSONParser.parse(r.out)
        #expect(report["status"] == false)
        #expect(report["problems"]?.arrayValue?.count == 4)

        let text = try home.file("not-a-zip.zip", "hello")
        r = await home.run(["restore", text])
        #expect(r.code == 2)
        #expect(r.err.contains("not a ZIP archive"))
        r = await home.run(["restore", home.directory.appendingPathComponent("missing.zip").path])
        #expect(r.code == 2)
        r = await home.run(["flow", "list", "--json"])
        #expect(try JSONParser.parse(r.out).arrayValue?.isEmpty == true)
        #expect(!FileManager.default.fileExists(atPath: home.directory.appendingPathComponent("escape.py").path))
    }
}
