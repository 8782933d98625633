import Foundation
import HTTPTypes
import Synchronization
import Testing
import WorkFlowBackup
import WorkFlowEngine
import WorkFlowStore
import ZIPFoundation

@testable import WorkFlowServer

/// A ZIP made in memory from `(path, text)` entries, written as given (even `../` paths).
func zipArchive(_ entries: [(String, String)]) throws -> [UInt8] {
    let archive = try Archive(accessMode: .create)
    for (path, text) in entries {
        let data = Data(text.utf8)
        try archive.addEntry(with: path, type: .file, uncompressedSize: Int64(data.count)) { position, size in
            data.subdata(in: Int(position)..<Int(position) + size)
        }
    }
    return Array(try #require(archive.data))
}

/// A `multipart/form-data` body with one file field; returns the content type and the body.
func multipartUpload(field: String = "file", fileName: String = "backup.zip", _ bytes: [UInt8]) -> (String, [UInt8]) {
    let boundary = "----WorkFlowTestBoundary7MA4YWxk"
    var body = Array("preamble to ignore\r\n--\(boundary)\r\n".utf8)
    body += Array("Content-Disposition: form-data; name=\"note\"\r\n\r\nnot the file\r\n--\(boundary)\r\n".utf8)
    body += Array("Content-Disposition: form-data; name=\"\(field)\"; filename=\"\(fileName)\"\r\n".utf8)
    body += Array("Content-Type: application/zip\r\n\r\n".utf8)
    body += bytes
    body += Array("\r\n--\(boundary)--\r\n".utf8)
    return ("multipart/form-data; boundary=\"\(boundary)\"", body)
}

@Suite("backup and restore over HTTP (GET /backup, POST /restore and API v1)")
struct BackupAPITests {
    static let manifest = #"{"created_at": "2026-02-25T10:00:00Z", "created_by": "api", "sections": ["workflows", "modules", "settings"]}"#
    static let seedWorkflow = """
        {"flow_name": "from_seed", "enabled": true,
         "procedures": {"procedures": [{"name": "s", "mod": "common.Kt", "method": "prt1", "params": {"msg": "x"}}]}}
        """

    /// What a restore could change: workflows with their documents and versions, settings, custom modules.
    static func state(_ harness: ServerHarness) async throws -> String {
        var lines: [String] = []
        for flow in try await harness.store.listFlows(FlowQuery(includeDeleted: true)) {
            lines.append("\(flow.name) v\(flow.currentVersion) \(flow.enabled) \(JSONWriter.string(from: .object(flow.document)))")
        }
        let settings = try await harness.store.settings()
        lines += settings.keys.sorted().map { "\($0) = \(settings[$0].map { JSONWriter.string(from: $0) } ?? "")" }
        for module in try await harness.store.modules() {
            lines.append("\(module.qualifiedName) v\(module.currentVersion): \(module.source)")
        }
        return lines.joined(separator: "\n")
    }

    /// Saves a custom module through the module library, as the module editor does.
    static func saveModule(_ harness: ServerHarness, _ category: String, _ name: String, _ text: String) async throws {
        _ = try await harness.server.modules.save(category: category, name: name, source: text, author: "admin", comment: nil)
    }

    static let thing = """
        class Thing:
            \"\"\"A custom module.\"\"\"

            def __init__(self, logger):
                self.logger = logger

            def shout(self, context, cfgs):
                \"\"\"Shouts.

                Args:
                    text (str): what to shout
                \"\"\"
                return {"status": True, "data": cfgs["text"].upper()}

        """

    @Test("GET /backup downloads the seed's ZIP; POST /restore with multipart field \"file\" restores it elsewhere and answers as the seed did")
    func roundTrip() async throws {
        let source = try await ServerHarness.make()
        let zip = try await withHarness(source) { client in
            let document: JSONValue = ["procedures": helloSteps, "variables": ["who": "ops"]]
            _ = try await client.send(.post, "/api/v1/flows", json: ["name": "hello", "document": document])
            _ = try await client.send(.put, "/api/v1/flows/hello", json: ["document": ["procedures": helloSteps, "variables": ["who": "dev"]]])
            _ = try await client.send(.put, "/api/v1/settings/timezone", json: ["value": "Europe/Berlin"])
            try await Self.saveModule(source, "custom", "Thing", Self.thing)

            let answer = try await client.send(.get, "/backup")
            #expect(answer.status == .ok)
            #expect(answer.headers[.contentType] == "application/zip")
            let name = BackupLayout.fileName(at: source.clock.now)
            #expect(name.wholeMatch(of: /workflow_backup_\d{8}_\d{6}\.zip/) != nil)
            #expect(answer.headers[.contentDisposition] == "attachment; filename=\"\(name)\"")
            let v1 = try await client.send(.get, "/api/v1/backup")
            #expect(v1.headers[.contentType] == "application/zip")
            return answer.bytes
        }

        let target = try await ServerHarness.make()
        try await withHarness(target) { client in
            let (contentType, body) = multipartUpload(zip)
            let answer = try await client.send(.post, "/restore", bytes: body, contentType: contentType)
            #expect(answer.status == .ok, "\(answer.text)")
            #expect(answer.json == ["status": true, "restored": ["workflows (1)", "modules (1 files)", "settings"]])

            let flow = try await client.send(.get, "/api/v1/flows/hello")
            #expect(flow.json["document"]?["variables"] == ["who": "dev"])
            #expect(flow.json["version"] == 2)
            #expect(try await target.store.settings()["timezone"] == "Europe/Berlin")
            let module = try #require(try await target.store.module(category: "custom", name: "Thing"))
            #expect(module.source == Self.thing)
            #expect(module.createdBy == "apikey:admin-key")
            #expect(try await target.store.moduleVersions(category: "custom", name: "Thing").first?.comment?.hasPrefix("restored from backup backup.zip") == true)
            // Loaded for runs at once.
            #expect(target.server.modules.registry().module(named: "custom.Thing") != nil)

            let audit = try await client.send(.get, "/api/v1/audit?target_type=system")
            let entry = audit.json["items"]?[0]
            #expect(entry?["action"] == "restore")
            #expect(entry?["actor"] == "apikey:admin-key")
            #expect(entry?["target_name"] == "backup.zip")
            #expect(entry?["detail"]?["workflows"]?["created"] == ["hello"])
            #expect(entry?["detail"]?["modules"]?["created"] == ["custom/Thing.py"])
        }
    }

    @Test("backups carry schedules and users; password hashes only with ?password_hashes=true")
    func schedulesAndUsers() async throws {
        let source = try await ServerHarness.make()
        _ = try await source.userKey("viewer")
        let (plain, hashed) = try await withHarness(source) { client in
            _ = try await client.send(.post, "/api/v1/flows", json: ["name": "hello", "document": ["procedures": helloSteps]])
            let created = try await client.send(
                .post, "/api/v1/flows/hello/schedules", json: ["name": "nightly", "cron": "0 2 * * *", "timezone": "Europe/Berlin"])
            #expect(created.status == .created, "\(created.text)")
            let bad = try await client.send(.get, "/api/v1/backup?password_hashes=maybe")
            #expect(bad.status == .badRequest)
            #expect(bad.json["error"]?["details"]?["field"] == "password_hashes" || bad.text.contains("password_hashes"))
            return (try await client.send(.get, "/api/v1/backup").bytes, try await client.send(.get, "/backup?password_hashes=true").bytes)
        }
        func users(_ bytes: [UInt8]) throws -> JSONValue {
            let archive = try Archive(data: Data(bytes), accessMode: .read)
            var data = Data()
            _ = try archive.extract(try #require(archive["extra/users.json"])) { data.append($0) }
            return try JSONParser.parse(String(decoding: data, as: UTF8.self))
        }
        #expect(try users(plain)["users"]?.arrayValue?.map { $0["username"] } == ["admin", "viewer"])
        #expect(try users(plain)["users"]?[0]?["password_hash"] == nil)
        #expect(try users(hashed)["users"]?[0]?["password_hash"]?.stringValue?.hasPrefix("$2b$") == true)

        let target = try await ServerHarness.make()
        try await withHarness(target) { client in
            let answer = try await client.send(.post, "/api/v1/restore", bytes: plain, contentType: "application/zip")
            #expect(answer.status == .ok, "\(answer.text)")
            let items = answer.json["items"]?.arrayValue ?? []
            #expect(items.contains { $0["kind"] == "schedule" && $0["name"] == "hello/nightly" && $0["change"] == "create" })
            #expect(items.contains { $0["kind"] == "user" && $0["name"] == "viewer" && $0["change"] == "create" })
            #expect(items.contains { $0["kind"] == "user" && $0["name"] == "admin" && $0["change"] == "unchanged" })
            let schedules = try await client.send(.get, "/api/v1/flows/hello/schedules")
            #expect(schedules.json["items"]?[0]?["timezone"] == "Europe/Berlin", "\(schedules.text)")
            #expect(try await target.store.credentials(username: "viewer")?.passwordHash == BackupRestorer.noPassword)
        }
    }

    @Test("a raw application/zip body restores too; /api/v1/restore?dry_run=true lists the changes and writes nothing")
    func rawBodyAndDryRun() async throws {
        let harness = try await ServerHarness.make()
        try await withHarness(harness) { client in
            let zip = try zipArchive([("workflows/from_seed.json", Self.seedWorkflow), ("settings.json", #"{"timezone": "UTC"}"#), ("backup.json", Self.manifest)])
            let before = try await Self.state(harness)
            let dry = try await client.send(.post, "/api/v1/restore?dry_run=true", bytes: zip, contentType: "application/zip")
            #expect(dry.status == .ok, "\(dry.text)")
            #expect(dry.json["dry_run"] == true)
            #expect(dry.json["items"]?[0]?["kind"] == "workflow")
            #expect(dry.json["items"]?[0]?["name"] == "from_seed")
            #expect(dry.json["items"]?[0]?["change"] == "create")
            #expect(dry.json["backup"]?["created_by"] == "api")
            #expect(try await Self.state(harness) == before)
            #expect(try await client.send(.get, "/api/v1/audit?target_type=system").json["items"] == [])

            let applied = try await client.send(.post, "/api/v1/restore", bytes: zip, contentType: "application/zip")
            #expect(applied.json["status"] == true)
            #expect(applied.json["dry_run"] == false)
            #expect(applied.json["failures"] == [])
            #expect(try await client.send(.get, "/api/v1/flows/from_seed").status == .ok)

            let seed = try await client.send(.post, "/restore", bytes: zip, contentType: "application/zip")
            #expect(seed.json == ["status": true, "restored": ["workflows (1)", "modules (0 files)", "settings"]])
            let bad = try await client.send(.post, "/api/v1/restore?dry_run=maybe", bytes: zip, contentType: "application/zip")
            #expect(bad.status == .badRequest)
        }
    }

    @Test("the seed's errors in its words: no file, not a ZIP, no backup.json")
    func seedErrors() async throws {
        let harness = try await ServerHarness.make()
        try await withHarness(harness) { client in
            let noFile = #"No file uploaded. Use multipart/form-data with field name "file"."#
            var r = try await client.send(.post, "/restore")
            #expect(r.status == .badRequest)
            #expect(r.json == ["status": false, "error": .string(noFile)])
            let (otherField, otherBody) = multipartUpload(field: "upload", Array("x".utf8))
            r = try await client.send(.post, "/restore", bytes: otherBody, contentType: otherField)
            #expect(r.json == ["status": false, "error": .string(noFile)])
            r = try await client.send(.post, "/restore", json: ["file": "backup.zip"])
            #expect(r.json == ["status": false, "error": .string(noFile)])

            let (contentType, body) = multipartUpload(Array("just some text".utf8))
            r = try await client.send(.post, "/restore", bytes: body, contentType: contentType)
            #expect(r.status == .badRequest)
            #expect(r.json == ["status": false, "error": "Uploaded file is not a valid ZIP archive"])

            let noManifest = try zipArchive([("workflows/from_seed.json", Self.seedWorkflow)])
            r = try await client.send(.post, "/restore", bytes: noManifest, contentType: "application/zip")
            #expect(r.status == .badRequest)
            #expect(r.json["error"] == "Invalid backup file: missing backup.json")
            #expect(r.json["details"]?[0] == ["entry": "backup.json", "message": "missing: this is not a WorkFlow backup"])

            r = try await client.send(.post, "/api/v1/restore", bytes: noManifest, contentType: "application/zip")
            #expect(r.json["error"]?["code"] == "invalid_backup")
            #expect(r.json["error"]?["message"] == "Invalid backup file: missing backup.json")
            r = try await client.send(.post, "/api/v1/restore")
            #expect(r.json["error"]?["code"] == "no_file")

            let broken = "multipart/form-data; boundary=abc"
            r = try await client.send(.post, "/restore", bytes: Array("--abc\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nno end".utf8), contentType: broken)
            #expect(r.status == .badRequest)
            #expect(r.json["error"]?.stringValue?.hasPrefix("the multipart body cannot be read") == true)
        }
    }

    @Test("a zip-slip path and an invalid workflow are refused with every problem, and nothing is written")
    func refused() async throws {
        let harness = try await ServerHarness.make()
        try await withHarness(harness) { client in
            _ = try await client.send(.post, "/api/v1/flows", json: ["name": "from_seed", "document": ["procedures": helloSteps]])
            _ = try await client.send(.put, "/api/v1/settings/timezone", json: ["value": "UTC"])
            try await Self.saveModule(harness, "mycat", "Greeter", "class Greeter:\n    pass\n")
            let before = try await Self.state(harness)

            let invalid = #"{"flow_name": "broken", "enabled": true, "procedures": {"procedures": [{"name": "s", "mod": "common.Nope", "method": "x"}]}}"#
            let zip = try zipArchive([
                ("workflows/from_seed.json", Self.seedWorkflow), ("modules/mycat/Greeter.py", "replaced\n"),
                ("modules/../../escape.py", "evil\n"), ("workflows/broken.json", invalid), ("settings.json", #"{"timezone": "Asia/Tokyo"}"#),
                ("backup.json", Self.manifest),
            ])
            let r = try await client.send(.post, "/restore", bytes: zip, contentType: "application/zip")
            #expect(r.status == .badRequest)
            #expect(r.json["status"] == false)
            let message = r.json["error"]?.stringValue ?? ""
            #expect(message.hasPrefix("Invalid backup file; nothing was written: modules/../../escape.py: '..' is not allowed"), "\(message)")
            #expect(message.hasSuffix("(and 1 more)"))
            let details = r.json["details"]?.arrayValue ?? []
            #expect(details.count == 2)
            #expect(details.first?["entry"] == "modules/../../escape.py")
            #expect(details.last?["entry"] == "workflows/broken.json")
            #expect(details.last?["message"]?.stringValue?.contains("common.Nope") == true)

            #expect(try await Self.state(harness) == before)
            #expect(!FileManager.default.fileExists(atPath: harness.directory.appendingPathComponent("escape.py").path))
            let v1 = try await client.send(.post, "/api/v1/restore", bytes: zip, contentType: "application/zip")
            #expect(v1.json["error"]?["details"]?.arrayValue?.count == 2)
            #expect(try await Self.state(harness) == before)
        }
    }

    @Test("a workflow calling a module shipped in the same backup is validated against it, and runs once restored")
    func shippedModuleRuns() async throws {
        let harness = try await ServerHarness.make()
        try await withHarness(harness) { client in
            let shout = #"{"flow_name": "shout", "enabled": true, "procedures": {"procedures": [{"name": "s", "mod": "custom.Thing", "method": "shout", "params": {"text": "hi"}}]}}"#
            let wrong = shout.replacingOccurrences(of: "\"shout\", \"params\"", with: "\"whisper\", \"params\"")
            let refused = try await client.send(
                .post, "/api/v1/restore", bytes: try zipArchive([("workflows/shout.json", wrong), ("modules/custom/Thing.py", Self.thing), ("backup.json", Self.manifest)]),
                contentType: "application/zip")
            #expect(refused.status == .badRequest)
            #expect(refused.json["error"]?["details"]?[0]?["message"]?.stringValue?.contains("procedures[0].method") == true, "\(refused.text)")
            #expect(try await harness.store.modules().isEmpty)

            let zip = try zipArchive([("workflows/shout.json", shout), ("modules/custom/Thing.py", Self.thing), ("backup.json", Self.manifest)])
            let restored = try await client.send(.post, "/restore", bytes: zip, contentType: "application/zip")
            #expect(restored.json == ["status": true, "restored": ["workflows (1)", "modules (1 files)", "settings"]], "\(restored.text)")
            let run = try await client.send(.post, "/flow/shout/run", json: [:])
            #expect(run.json["status"] == true, "\(run.text)")
            #expect(run.json["data"]?["s"] == ["status": true, "data": "HI"])
        }
    }

    @Test("a module source with a syntax error is refused with its entry, line and column, and nothing is written")
    func moduleSyntaxError() async throws {
        let harness = try await ServerHarness.make()
        try await withHarness(harness) { client in
            let before = try await Self.state(harness)
            let zip = try zipArchive([
                ("workflows/from_seed.json", Self.seedWorkflow), ("modules/custom/Thing.py", Self.thing),
                ("modules/custom/Broken.py", "class Broken:\n    def run(self, context, cfgs)\n        return {}\n"), ("backup.json", Self.manifest),
            ])
            let seed = try await client.send(.post, "/restore", bytes: zip, contentType: "application/zip")
            #expect(seed.status == .badRequest)
            let message = seed.json["error"]?.stringValue ?? ""
            #expect(message.hasPrefix("Invalid backup file; nothing was written: modules/custom/Broken.py:2:"), "\(message)")
            #expect(message.contains("syntax error: "))
            let v1 = try await client.send(.post, "/api/v1/restore?dry_run=true", bytes: zip, contentType: "application/zip")
            let detail = v1.json["error"]?["details"]?[0]
            #expect(detail?["entry"] == "modules/custom/Broken.py")
            #expect(detail?["line"] == 2)
            #expect(detail?["column"]?.intValue != nil)
            #expect(try await Self.state(harness) == before)
        }
    }

    @Test("backups are for administrators: other users get 403, callers without credentials 401")
    func permissions() async throws {
        let harness = try await ServerHarness.make()
        try await withHarness(harness) { client in
            let reader = Client.As.key(try await harness.userKey("reader"))
            let zip = try zipArchive([("workflows/from_seed.json", Self.seedWorkflow), ("backup.json", Self.manifest)])
            for path in ["/backup", "/api/v1/backup"] {
                #expect(try await client.send(.get, path, as: reader).status == .forbidden)
                let anonymous = try await client.send(.get, path, as: .nobody)
                #expect(anonymous.status == .unauthorized)
            }
            for path in ["/restore", "/api/v1/restore"] {
                #expect(try await client.send(.post, path, as: reader, bytes: zip, contentType: "application/zip").status == .forbidden)
                #expect(try await client.send(.post, path, as: .nobody, bytes: zip, contentType: "application/zip").status == .unauthorized)
            }
            let seed = try await client.send(.get, "/backup", as: reader)
            #expect(seed.json["status"] == false)
            #expect(try await client.send(.get, "/api/v1/flows/from_seed").status == .notFound)
        }
    }

    /// Runs `body` against the harness's router, then closes it.
    private func withHarness<T: Sendable>(_ harness: ServerHarness, _ body: @escaping @Sendable (Client) async throws -> T) async throws -> T {
        let result = Mutex<T?>(nil)
        try await harness.test { client in
            let value = try await body(client)
            result.withLock { $0 = value }
        }
        return try #require(result.withLock { $0 })
    }
}
