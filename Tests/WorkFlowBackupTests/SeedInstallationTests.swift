import Foundation
import Testing
import WorkFlowEngine
import WorkFlowStore

@testable import WorkFlowBackup

@Suite("seed installation folders")
struct SeedInstallationTests {
    /// A seed installation: `mod/` with a custom module, one of the seed's own, a helper and a
    /// cache folder, and `workflows/` with one exported workflow.
    final class Folder {
        let root: URL

        init() throws {
            root = FileManager.default.temporaryDirectory.appendingPathComponent("wf-seed-\(UUID().uuidString)")
            try write("mod/mycat/Greeter.py", BackupModulesTests.greeter)
            try write("mod/common/Bash.py", "class Bash: pass\n")
            try write("mod/mycat/_util.py", "X = 1\n")
            try write("mod/__pycache__/x.py", "junk\n")
            try write("workflows/greet.json", BackupModulesTests.workflow("greet", mod: "mycat.Greeter", method: "hello"))
        }

        func write(_ path: String, _ text: String) throws {
            let url = root.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url)
        }

        func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }

        deinit { try? FileManager.default.removeItem(at: root) }
    }

    @Test("mod/ and workflows/ are read as a backup; problems name the files")
    func readFolder() async throws {
        let folder = try Folder()
        try folder.write("exported/plain.json", #"{"name": "plain", "procedures": [{"name": "a", "mod": "common.Kt", "method": "prt1", "params": {"msg": "x"}}], "variables": {"v": 1}}"#)
        try await BackupHarness.with { harness in
            let archive = try await SeedInstallation.read(
                folder: folder.root, workflowFolders: [folder.root.appendingPathComponent("exported")], registry: BackupHarness.registry,
                modules: harness.modules)
            #expect(archive.modules.map(\.entry) == [folder.path("mod/common/Bash.py"), folder.path("mod/mycat/Greeter.py"), folder.path("mod/mycat/_util.py")])
            #expect(archive.modules.map { $0.skipReason == nil } == [false, true, false])
            #expect(archive.workflows.map(\.name) == ["greet", "plain"])
            #expect(archive.workflows.last?.document == ["procedures": [["name": "a", "mod": "common.Kt", "method": "prt1", "params": ["msg": "x"]]], "variables": ["v": 1]])
            #expect(archive.workflows.last?.enabled == true)
            #expect(archive.manifest.isSeedBackup)
        }

        try folder.write("mod/mycat/Bad.py", "class Bad:\n!!!\n")
        try folder.write("workflows/broken.json", "{\"flow_name\": \n")
        try folder.write("workflows/odd.json", "[1]")
        try await BackupHarness.with { harness in
            do throws(BackupError) {
                _ = try await SeedInstallation.read(folder: folder.root, workflowFolders: [], registry: BackupHarness.registry, modules: harness.modules)
                Issue.record("an installation with problems was accepted")
            } catch {
                #expect(
                    error.problems.map(\.description) == [
                        "\(folder.path("mod/mycat/Bad.py")):2:1: syntax error: invalid syntax",
                        "\(folder.path("workflows/broken.json")):2:1: not valid JSON: expected a value, found the end of the text",
                        "\(folder.path("workflows/odd.json")): expected a workflow: {\"flow_name\", \"enabled\", \"procedures\": {...}} as the seed's backup wrote it, or {\"name\", \"procedures\": [...]} as its -c option took it",
                    ])
            }
        }
    }

    @Test("a folder without mod/ is a problem; a missing folder an error")
    func notAnInstallation() async throws {
        let folder = try Folder()
        try FileManager.default.removeItem(at: folder.root.appendingPathComponent("mod"))
        try await BackupHarness.with { harness in
            do throws(BackupError) {
                _ = try await SeedInstallation.read(folder: folder.root, workflowFolders: [], registry: BackupHarness.registry, modules: harness.modules)
                Issue.record("accepted")
            } catch {
                #expect(error.problems.first?.entry == folder.path("mod"))
                #expect(error.problems.contains { $0.message.contains("unknown module 'mycat.Greeter'") })
            }
            do throws(BackupError) {
                _ = try await SeedInstallation.read(
                    folder: folder.root.appendingPathComponent("nope"), workflowFolders: [], registry: BackupHarness.registry, modules: harness.modules)
                Issue.record("accepted")
            } catch {
                #expect(error == .file(path: folder.path("nope"), message: "no such folder"))
            }
        }
    }
}
