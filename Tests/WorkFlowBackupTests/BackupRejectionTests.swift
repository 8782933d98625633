import Foundation
import Testing
import WorkFlowEngine
import WorkFlowStore
import ZIPFoundation

@testable import WorkFlowBackup

@Suite("backups that are refused")
struct BackupRejectionTests {
    static let manifest = #"{"created_at": "2026-02-25T10:00:00Z", "created_by": "api", "sections": ["workflows", "modules", "settings"]}"#

    /// A valid seed backup with `extra` entries added.
    static func zip(_ extra: [(String, String)], manifest: String? = BackupRejectionTests.manifest) -> Data {
        var zip = HandMadeZIP()
        zip.add("workflows/daily_report.json", SeedBackup.dailyReport)
        for (path, text) in extra { zip.add(path, text) }
        if let manifest { zip.add("backup.json", manifest) }
        return zip.data
    }

    /// Restores `data` into a store with one workflow, a setting and a module, expects it to be
    /// refused, checks that nothing changed, and returns the problems.
    static func refuse(_ data: Data, limits: BackupLimits = .standard) async throws -> [BackupProblem] {
        try await BackupHarness.with { harness in
            _ = try await harness.store.createFlow(name: "daily_report", document: greetFlow, author: "alice", comment: nil)
            try await harness.store.setSetting("timezone", to: "UTC")
            try await harness.storeModule("mycat.Greeter", "original\n")
            let before = try await harness.snapshot()
            var problems: [BackupProblem] = []
            do throws(BackupError) {
                let result = try await harness.restore(data, limits: limits)
                Issue.record("the backup was accepted: \(result.plan.items)")
            } catch {
                problems = error.problems
                #expect(!problems.isEmpty, "\(error)")
            }
            #expect(try await harness.snapshot() == before, "the store changed")
            return problems
        }
    }

    @Test("bytes that are not a ZIP")
    func notAZip() async throws {
        #expect(try await Self.refuse(Data("PK? no, just text".utf8)) == [BackupProblem(entry: nil, message: "not a ZIP archive")])
        #expect(try await Self.refuse(Data()) == [BackupProblem(entry: nil, message: "not a ZIP archive")])
    }

    @Test("a ZIP without backup.json")
    func missingManifest() async throws {
        let problems = try await Self.refuse(Self.zip([], manifest: nil))
        #expect(problems == [BackupProblem(entry: "backup.json", message: "missing: this is not a WorkFlow backup")])
    }

    @Test(
        "entry paths that could escape the folder they are unpacked into",
        arguments: [
            ("../x", "'..' is not allowed"), ("/abs/x.py", "absolute paths"), ("a/../../b", "'..' is not allowed"),
            ("modules/common/../../../etc/x.py", "'..' is not allowed"), ("workflows\\..\\x.json", "backslashes"),
            ("C:/x.json", "drive letters"), ("modules//x.py", "empty or '.'"),
        ])
    func zipSlip(path: String, message: String) async throws {
        let problems = try await Self.refuse(Self.zip([(path, "x")]))
        #expect(problems.count == 1)
        #expect(problems.first?.entry == path)
        #expect(problems.first?.message.contains(message) == true, "\(problems)")
    }

    @Test("sections this WorkFlow does not know, at the top and under extra/")
    func unknownSections() async throws {
        let problems = try await Self.refuse(
            Self.zip([("junk/readme.txt", "x"), ("notes.txt", "x"), ("extra/jobs/nightly.json", "{}")]))
        #expect(problems.map(\.entry) == ["junk/readme.txt", "notes.txt", "extra/jobs/nightly.json"])
        #expect(problems.first?.message.hasPrefix("unknown section 'junk'") == true)
        #expect(problems.last?.message.hasPrefix("unknown section 'extra/jobs'") == true)
    }

    @Test("a manifest that lists unknown sections, or comes from a newer WorkFlow")
    func unknownManifestSections() async throws {
        let manifest =
            #"{"created_at": "x", "created_by": "y", "sections": ["workflows", "jobs"], "format_version": 9, "extra_sections": {"versions": 1, "jobs": 1}}"#
        let problems = try await Self.refuse(Self.zip([], manifest: manifest))
        #expect(
            problems.map(\.description) == [
                "backup.json: sections[1]: unknown section 'jobs' (known: workflows, modules, settings, accounts)",
                "backup.json: format_version: 9 was written by a newer WorkFlow; this one reads up to 1",
                "backup.json: extra_sections.jobs: unknown section (this WorkFlow knows: versions, schedules, users)",
            ])
    }

    @Test("an entry of a section that backup.json does not list")
    func unlistedSection() async throws {
        let manifest = #"{"created_at": "x", "created_by": "api", "sections": ["workflows"]}"#
        let problems = try await Self.refuse(Self.zip([("settings.json", "{}")], manifest: manifest))
        #expect(problems.map(\.description) == ["settings.json: section 'settings' is not listed in backup.json's sections"])
    }

    @Test("workflow entries that are not JSON, or not valid workflows, each named with its problem")
    func invalidWorkflows() async throws {
        let unknownModule = SeedBackup.dailyReport
            .replacingOccurrences(of: "\"daily_report\"", with: "\"other\"")
            .replacingOccurrences(of: "\"common.Kt\",\n        \"method\": \"prt2\"", with: "\"common.Nope\",\n        \"method\": \"prt2\"")
        let problems = try await Self.refuse(
            Self.zip([
                ("workflows/broken.json", "{\"flow_name\": \"broken\", "),
                ("workflows/other.json", unknownModule),
                ("workflows/nameless.json", #"{"enabled": true, "procedures": {}}"#),
                ("workflows/list.json", "[1, 2]"),
                ("workflows/copy.json", SeedBackup.dailyReport),
                ("settings.json", "[]"),
            ]))
        #expect(
            problems.map(\.entry) == [
                "workflows/broken.json", "workflows/other.json", "workflows/nameless.json", "workflows/list.json", "workflows/copy.json",
                "settings.json",
            ])
        let byEntry = Dictionary(problems.map { ($0.entry ?? "", $0.message) }, uniquingKeysWith: { $0 + " | " + $1 })
        #expect(byEntry["workflows/broken.json"]?.hasPrefix("not valid JSON: line 1") == true)
        #expect(byEntry["workflows/other.json"]?.contains("procedures: procedures[1].mod: unknown module 'common.Nope'") == true)
        #expect(byEntry["workflows/nameless.json"] == "flow_name: missing")
        #expect(byEntry["workflows/list.json"]?.hasPrefix("expected a JSON object") == true)
        #expect(byEntry["workflows/copy.json"] == "workflow 'daily_report' is also in workflows/daily_report.json")
        #expect(byEntry["settings.json"]?.hasPrefix("expected a JSON object of setting names and values") == true)

    }

    @Test("a version history that does not fit its workflow")
    func badHistory() async throws {
        let manifest =
            #"{"created_at": "x", "created_by": "y", "sections": ["workflows"], "format_version": 1, "extra_sections": {"versions": 1}}"#
        let problems = try await Self.refuse(
            Self.zip(
                [
                    ("extra/versions/daily_report.json", #"{"flow_name": "daily_report", "versions": [{"number": 2, "created_at": "2026-01-01T00:00:00Z", "document": {}}]}"#),
                    ("extra/versions/ghost.json", #"{"flow_name": "ghost", "versions": [{"number": 1, "created_at": "2026-01-01T00:00:00Z", "document": {}}]}"#),
                ], manifest: manifest))
        #expect(
            problems.map(\.description) == [
                "extra/versions/daily_report.json: versions[0].number: expected 1 (versions are numbered 1, 2, ... oldest first)",
                "extra/versions/ghost.json: history of workflow 'ghost', which the backup does not hold",
            ])
    }

    @Test("module entries outside modules/<category>/<file>.py")
    func badModules() async throws {
        let problems = try await Self.refuse(
            Self.zip([("modules/x.py", "x"), ("modules/my-cat/X.py", "x"), ("modules/cat/README.md", "x"), ("modules/cat/.X.py", "x")]))
        #expect(problems.map(\.entry) == ["modules/x.py", "modules/my-cat/X.py", "modules/cat/README.md", "modules/cat/.X.py"])
    }

    @Test("every problem of an archive is reported at once")
    func allAtOnce() async throws {
        let problems = try await Self.refuse(Self.zip([("../evil.py", "x"), ("junk.txt", "x"), ("workflows/bad.json", "nope")], manifest: nil))
        #expect(problems.map(\.entry) == ["backup.json", "../evil.py", "junk.txt", "workflows/bad.json"])
    }

    @Test("archives over the size and entry limits")
    func oversize() async throws {
        let big = Self.zip([("modules/cat/Big.py", String(repeating: "x", count: 5000))])
        var problems = try await Self.refuse(big, limits: BackupLimits(maxUnpackedBytes: 4096))
        #expect(problems == [BackupProblem(entry: nil, message: "the archive unpacks to more than 4 KB, the limit")])
        problems = try await Self.refuse(big, limits: BackupLimits(maxArchiveBytes: 1024))
        #expect(problems.first?.message.hasPrefix("the archive is ") == true)
        problems = try await Self.refuse(Self.zip([("settings.json", "{}")]), limits: BackupLimits(maxEntries: 2))
        #expect(problems == [BackupProblem(entry: nil, message: "the archive holds more than 2 entries, the limit")])
    }

    @Test("an entry that inflates to more than it declares is stopped at the limit")
    func lyingSize() async throws {
        // A deflated megabyte of zeros whose headers claim 10 bytes.
        let archive = try Archive(accessMode: .create)
        let zeros = Data(count: 1 << 20)
        try archive.addEntry(with: "modules/cat/Bomb.py", type: .file, uncompressedSize: Int64(zeros.count), compressionMethod: .deflate) {
            position, size in zeros.subdata(in: Int(position)..<Int(position) + size)
        }
        try archive.addEntry(with: "backup.json", type: .file, uncompressedSize: Int64(Self.manifest.utf8.count)) { position, size in
            Data(Self.manifest.utf8).subdata(in: Int(position)..<Int(position) + size)
        }
        var data = try #require(archive.data)
        Self.patchUncompressedSize(of: 0, in: &data, to: 10)
        let problems = try await Self.refuse(data, limits: BackupLimits(maxUnpackedBytes: 64 << 10))
        #expect(problems == [BackupProblem(entry: nil, message: "the archive unpacks to more than 64 KB, the limit")])
    }

    /// Rewrites the uncompressed size of central-directory entry `index` and of its local header.
    static func patchUncompressedSize(of index: Int, in data: inout Data, to size: UInt32) {
        func read32(_ at: Int) -> Int { (0..<4).reduce(0) { $0 | Int(data[data.startIndex + at + $1]) << (8 * $1) } }
        func read16(_ at: Int) -> Int { Int(data[data.startIndex + at]) | Int(data[data.startIndex + at + 1]) << 8 }
        func write32(_ at: Int, _ value: UInt32) {
            for k in 0..<4 { data[data.startIndex + at + k] = UInt8((value >> (8 * UInt32(k))) & 0xFF) }
        }
        let end = data.count - 22
        var entry = read32(end + 16)
        for _ in 0..<index { entry += 46 + read16(entry + 28) + read16(entry + 30) + read16(entry + 32) }
        write32(entry + 24, size)
        write32(read32(entry + 42) + 22, size)
    }
}
